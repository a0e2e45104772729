package inhibitory

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/report"
)

// EpochVerdicts are the accuracy clauses of the checks judged on the test
// accuracy after one epoch instead of the last: whether a longer run could
// change a verdict shows in how they move.
type EpochVerdicts struct {
	Epoch    int                  `json:"epoch"`
	Verdicts []experiment.Verdict `json:"verdicts"`
}

// accuracyChecks are the checks judged from final accuracies alone (the
// moments and alignments are measured after the last epoch only).
var accuracyChecks = []string{"layer-norm-helps", "e-only-vs-ei-ln", "inference-only-worse", "inference-only-collapses",
	"gradnorm-rescues", "centring-essential", "scale-decorrelate-worse", "lateral-centring"}

// overEpochs judges the accuracy clauses at every step-th epoch and the
// last (nil when the runs are shorter than two such epochs).
func (c *Comparison) overEpochs(step int) []EpochVerdicts {
	var epochs []int
	for e := step; e < c.Epochs; e += step {
		epochs = append(epochs, e)
	}
	if len(epochs) == 0 {
		return nil
	}
	epochs = append(epochs, c.Epochs)
	var out []EpochVerdicts
	for _, e := range epochs {
		at := c.atEpoch(e)
		var vs []experiment.Verdict
		for _, ch := range Checks {
			if slices.Contains(accuracyChecks, ch.Name) {
				vs = append(vs, ch.Judge(at)...)
			}
		}
		out = append(out, EpochVerdicts{Epoch: e, Verdicts: vs})
	}
	return out
}

// atEpoch is the comparison of the same runs with each run's test
// accuracy after epoch e as its final one; a run whose curve stops before
// e diverged there and counts at chance (10%). At the last epoch it is
// the comparison itself.
func (c *Comparison) atEpoch(e int) *Comparison {
	if e >= c.Epochs {
		return c
	}
	rs := make([]PointResult, len(c.results))
	for i, r := range c.results {
		rs[i] = r
		if r.Summary == nil {
			continue
		}
		s := *r.Summary
		if e <= len(r.Curve) {
			s.FinalTestAcc = r.Curve[e-1]
		} else {
			s.FinalTestAcc, s.Diverged = 0.1, true
		}
		rs[i].Summary = &s
	}
	return Compare(c.study, rs)
}

// firstInterval finds a clause's estimate and interval in its measured
// text ("+0.12 [-0.05, +0.30]", a rate "3/20 = 15% [3%, 38%]", or a
// significance clause's "p 0.004"). The p must start a word: check 3's
// text begins "top 5 per eps", whose "p 5" is not a p-value.
var firstInterval = regexp.MustCompile(`[-+]?[0-9.]+(/[0-9]+ = [0-9]+%)? \[[^\]]+\]|\bp [0-9.e+-]+`)

// epochTable renders the verdicts over epochs: one row per clause (check,
// claim, its eps), one column per epoch, each cell the outcome and the
// clause's estimate with its interval.
func epochTable(ev []EpochVerdicts) string {
	if len(ev) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| # | clause |")
	for _, e := range ev {
		fmt.Fprintf(&b, " epoch %d |", e.Epoch)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(ev)) + "\n")
	for i, v := range ev[0].Verdicts {
		scope := ""
		if strings.HasPrefix(v.Measured, "eps ") && !strings.Contains(v.Measured, "pooled") {
			scope = " — " + strings.SplitN(v.Measured, ":", 2)[0]
		}
		fmt.Fprintf(&b, "| %d | %s%s |", v.Check, v.Claim, scope)
		for _, e := range ev {
			if i >= len(e.Verdicts) {
				b.WriteString(" – |")
				continue
			}
			w := e.Verdicts[i]
			fmt.Fprintf(&b, " %s %s |", strings.ToUpper(w.Result), firstInterval.FindString(w.Measured))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// epochPairs are the paired differences the over-epochs figures follow,
// in two figures so that neither scale hides the other: "" holds those
// within a few points of zero (checks 3, 5-8 against the study's
// reference E-only LN+), "_wide" those whose collapses span tens of
// points (check 2's E-I LN+ vs LN-, check 7's scale and decorrelate).
var epochPairs = []struct {
	a, b   string
	keep   func(va, vb float64) bool
	figure string
}{
	{"inorm_full", "e_ln", nil, ""}, {"inorm", "e_ln", notCollapsed, ""}, {"inorm_center", "e_ln", nil, ""},
	{"inorm_fa_center", "e_ln", nil, ""}, {"e_ln", "ei_ln", nil, ""},
	{"ei_ln", "ei", nil, "_wide"}, {"inorm_scale", "e_ln", nil, "_wide"}, {"inorm_decorrelate", "e_ln", nil, "_wide"},
}

// epochFigures draws, per eps and figure of epochPairs, each paired mean
// difference against the epoch with its 95% bootstrap interval (the
// verdicts' statistic), so a reader sees whether a comparison is still
// moving when training stops.
func (c *Comparison) epochFigures(dir string) ([]string, error) {
	if c.Epochs < 2 {
		return nil, nil
	}
	at := make([]*Comparison, c.Epochs+1) // one comparison per epoch, for every pair and eps
	for e := 1; e <= c.Epochs; e++ {
		at[e] = c.atEpoch(e)
	}
	var paths []string
	for _, eps := range c.Eps {
		for _, figure := range []string{"", "_wide"} {
			ps, err := c.epochFigure(dir, at, eps, figure)
			if err != nil {
				return nil, err
			}
			paths = append(paths, ps...)
		}
	}
	return paths, nil
}

// epochFigure draws the pairs of one figure of epochPairs at one eps from
// the per-epoch comparisons at; nothing when none of its pairs was run.
func (c *Comparison) epochFigure(dir string, at []*Comparison, eps float64, figure string) ([]string, error) {
	var series []report.Series
	for _, p := range epochPairs {
		if p.figure != figure || c.row(p.a) == nil || c.row(p.b) == nil {
			continue
		}
		s := report.Series{Name: ei.Conditions[p.a].Label + " - " + ei.Conditions[p.b].Label}
		for e := 1; e <= c.Epochs; e++ {
			iv := bootstrap(len(c.Configs), directionalConf, at[e].pairedMean(p.a, p.b, eps, p.keep))
			s.X, s.Y = append(s.X, float64(e)), append(s.Y, iv.est)
			s.Lo, s.Hi = append(s.Lo, iv.lo), append(s.Hi, iv.hi)
		}
		series = append(series, s)
	}
	if len(series) == 0 {
		return nil, nil
	}
	title := fmt.Sprintf("Paired differences over training, eps %g (mean over configurations, 95%% CI)", eps)
	pl, err := report.Lines(title, "epoch", "accuracy difference (points)", series)
	if err != nil {
		return nil, err
	}
	return report.Save(pl, dir, "paired_over_epochs"+figure+"_eps"+strconv.FormatFloat(eps, 'g', -1, 64))
}
