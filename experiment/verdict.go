package experiment

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/report"
)

// Verdict is one claim of a study's "Checks" section, measured.
type Verdict struct {
	Check     int    `json:"check"`
	Claim     string `json:"claim"`
	Measured  string `json:"measured"`
	Threshold string `json:"threshold"`
	// Result: pass, fail, inconclusive (the evidence holds both the claim
	// and its failure: e.g. an interval that contains zero and the study's
	// effect), underpowered (the runs cannot reach the study's threshold),
	// or n/a (they lack what the check needs).
	Result string `json:"result"`
}

// NewVerdict is a judged check: pass or fail.
func NewVerdict(check int, claim, measured, threshold string, pass bool) Verdict {
	r := "fail"
	if pass {
		r = "pass"
	}
	return Verdict{check, claim, measured, threshold, r}
}

// Outcome is a judged clause: pass, fail or inconclusive.
type Outcome string

// The three outcomes of a clause the runs can decide.
const (
	Pass         Outcome = "pass"
	Fail         Outcome = "fail"
	Inconclusive Outcome = "inconclusive"
)

// Judged is a check whose outcome is one of the three.
func Judged(check int, claim, measured, threshold string, o Outcome) Verdict {
	return Verdict{check, claim, measured, threshold, string(o)}
}

// NotApplicable is a check the runs lack what it needs for (why says what).
func NotApplicable(check int, claim, why string) Verdict {
	return Verdict{check, claim, why, "–", "n/a"}
}

// Underpowered is a check whose test cannot reach the study's threshold
// with the runs made (too few configurations): neither pass nor fail.
func Underpowered(check int, claim, measured, threshold string) Verdict {
	return Verdict{check, claim, measured, threshold, "underpowered"}
}

// VerdictTable renders verdicts as a Markdown table. A long threshold
// (over longThreshold characters) that an earlier row of the table already
// states is written once: later rows point to the first row with it.
func VerdictTable(title string, vs []Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n| # | claim | measured | threshold | verdict |\n|---|---|---|---|---|\n", title)
	cell := strings.NewReplacer("|", `\|`, "\n", " ").Replace // a pipe in a claim must not open a cell
	// A long threshold -> the first row stating it.
	first := map[string]Verdict{}
	for _, v := range vs {
		threshold := cell(v.Threshold)
		if len(v.Threshold) > longThreshold {
			if f, seen := first[v.Threshold]; seen {
				threshold = fmt.Sprintf("as for check %d, %s, above", f.Check, cell(shortClaim(f.Claim)))
			} else {
				first[v.Threshold] = v
			}
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", v.Check, cell(v.Claim), cell(v.Measured), threshold, strings.ToUpper(v.Result))
	}
	return b.String()
}

// longThreshold is the length from which a repeated threshold is written once.
const longThreshold = 80

// shortClaim is a claim's first words (up to ~48 characters) in quotes,
// enough to find its row.
func shortClaim(c string) string {
	if len(c) <= 48 {
		return `"` + c + `"`
	}
	cut := strings.LastIndex(c[:48], " ")
	if cut < 16 {
		cut = 48
	}
	return `"` + c[:cut] + `…"`
}

// WriteVerdicts saves verdicts.md (the rendered tables), verdicts.json
// (sets, for scripts and the serve index) and rewrites report.html with
// the verdicts above the study's own report.
func WriteVerdicts(dir, verdicts string, sets []VerdictSet, body string) error {
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "verdicts.md"), []byte(verdicts)); err != nil {
		return err
	}
	js, err := json.MarshalIndent(sets, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "verdicts.json"), append(js, '\n')); err != nil {
		return err
	}
	page, err := report.HTML(filepath.Base(dir), verdicts+"\n"+body, dir)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "report.html"), page)
}

// Check is one of a study's claims as data: its number in the study's
// "Checks" section, a name to find it by, and a small function that
// judges it on the study's results R (one verdict, or one per condition
// or task when the claim is made for each).
type Check[R any] struct {
	N     int
	Name  string
	Judge func(R) []Verdict
}

// Judge applies every check to results, in order.
func Judge[R any](claims []Check[R], results R) []Verdict {
	var vs []Verdict
	for _, c := range claims {
		vs = append(vs, c.Judge(results)...)
	}
	return vs
}

// DemoScale is the scale name of the presets that show a study's
// pipeline end to end in minutes (the demo): too few networks and too
// little training to test the study's claims.
const DemoScale = "demo"

// NotJudged reports every judged verdict of sets as underpowered, keeping
// what it measured, and says so in each title: at the demo scale a pass
// would claim what so small a run cannot show, and a fail would refute
// nothing. Checks already n/a stay n/a.
func NotJudged(sets []VerdictSet) []VerdictSet {
	out := make([]VerdictSet, len(sets))
	for i, s := range sets {
		out[i] = VerdictSet{Title: s.Title + " (demo scale: measured, not judged; run --scale quick or larger for verdicts)"}
		for _, v := range s.Verdicts {
			if v.Result == "pass" || v.Result == "fail" || v.Result == "inconclusive" {
				v.Result = "underpowered"
			}
			out[i].Verdicts = append(out[i].Verdicts, v)
		}
	}
	return out
}
