package sweep

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/study/classify"
)

// Report merges a sweep's finished runs.
type Report struct {
	Sweep    string       `json:"sweep"`
	Points   int          `json:"points"`
	Finished int          `json:"finished"`
	Groups   []Group      `json:"groups"`
	Runs     []RunSummary `json:"runs"`
}

// Group is one grid point over its seeds.
type Group struct {
	Setting  string          `json:"setting"`
	Acc      analysis.MeanSD `json:"final_test_acc"`
	CleanAcc analysis.MeanSD `json:"clean_test_acc"`
}

// RunSummary is one finished point.
type RunSummary struct {
	Point     string            `json:"point"`
	Overrides string            `json:"overrides"`
	Summary   *classify.Summary `json:"summary"`
}

// ReportDir reads SWEEP_DIR/points.tsv and every finished run, and
// writes sweep.md, sweep.json, results.csv, a figure and report.html.
func ReportDir(dir string) (*Report, error) {
	f, err := os.Open(filepath.Join(dir, "points.tsv"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a sweep directory (no points.tsv; run `circuitry sweep SPEC` first)", dir)
	}
	defer f.Close()
	rep := &Report{Sweep: filepath.Base(filepath.Clean(dir))}
	bySetting := map[string][2][]float64{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, overrides, _ := strings.Cut(sc.Text(), "\t")
		rep.Points++
		b, err := os.ReadFile(filepath.Join(dir, "runs", name, "summary.json"))
		if err != nil {
			continue // not finished (yet)
		}
		var sum classify.Summary
		if err := json.Unmarshal(b, &sum); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "runs", name, "summary.json"), err)
		}
		rep.Finished++
		rep.Runs = append(rep.Runs, RunSummary{Point: name, Overrides: overrides, Summary: &sum})
		setting := overrides
		if i := strings.LastIndex(setting, " seed="); i >= 0 {
			setting = setting[:i]
		} else if strings.HasPrefix(setting, "seed=") {
			setting = "(base)"
		}
		if _, ok := bySetting[setting]; !ok {
			order = append(order, setting)
		}
		v := bySetting[setting]
		v[0], v[1] = append(v[0], 100*sum.FinalTestAcc), append(v[1], 100*sum.CleanTestAcc)
		bySetting[setting] = v
	}
	sort.Slice(order, func(i, j int) bool { return naturalLess(order[i], order[j]) })
	for _, k := range order {
		rep.Groups = append(rep.Groups, Group{Setting: k, Acc: analysis.NewMeanSD(bySetting[k][0]), CleanAcc: analysis.NewMeanSD(bySetting[k][1])})
	}
	return rep, rep.write(dir)
}

// Markdown renders the merged tables.
func (rep *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Sweep %s\n\n%d of %d points finished.\n\n## Per setting (mean ± sd over seeds), final test accuracy %%\n\n", rep.Sweep, rep.Finished, rep.Points)
	b.WriteString("| setting | n | shifted test | unshifted test |\n|---|---|---|---|\n")
	for _, g := range rep.Groups {
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", strings.ReplaceAll(g.Setting, "|", "/"), g.Acc.N, g.Acc, g.CleanAcc)
	}
	b.WriteString("\n## Runs\n\n| point | overrides | final test acc | epochs | s/epoch |\n|---|---|---|---|---|\n")
	for _, r := range rep.Runs {
		fmt.Fprintf(&b, "| %s | %s | %.2f | %d | %.1f |\n", r.Point, r.Overrides, 100*r.Summary.FinalTestAcc, r.Summary.Epochs, r.Summary.EpochSeconds)
	}
	if len(rep.Groups) > 0 {
		b.WriteString("\n![accuracy.png](figures/accuracy.png)\n")
	}
	return b.String()
}

func (rep *Report) write(dir string) error {
	if len(rep.Groups) > 0 {
		var labels []string
		var vals, errs []float64
		for _, g := range rep.Groups {
			labels = append(labels, g.Setting)
			vals, errs = append(vals, float64(g.Acc.Mean)), append(errs, float64(g.Acc.SD))
		}
		p, err := report.Bars("Final test accuracy per setting (mean ± sd over seeds)", "accuracy (%)", labels, vals, errs)
		if err != nil {
			return err
		}
		if _, err := report.Save(p, filepath.Join(dir, "figures"), "accuracy"); err != nil {
			return err
		}
	}
	md := rep.Markdown()
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	csv := resultsCSV(rep.Runs)
	page, err := report.HTML("sweep "+rep.Sweep, md, dir)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"sweep.md": []byte(md), "sweep.json": append(b, '\n'), "results.csv": csv, "report.html": page} {
		if err := fsutil.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// resultsCSV is one row per point with a column per swept key (so pandas
// reads the settings as values), then the results.
func resultsCSV(runs []RunSummary) []byte {
	var keys []string
	settings := make([]map[string]string, len(runs))
	for i, r := range runs {
		settings[i] = map[string]string{}
		for _, kv := range splitOverrides(r.Overrides) {
			k, v, _ := strings.Cut(kv, "=")
			if _, seen := settings[i][k]; !seen && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
			settings[i][k] = v
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append(append([]string{"point"}, keys...), "final_test_acc", "clean_test_acc", "epochs"))
	for i, r := range runs {
		row := []string{r.Point}
		for _, k := range keys {
			row = append(row, settings[i][k])
		}
		w.Write(append(row, fmt.Sprintf("%.4f", r.Summary.FinalTestAcc), fmt.Sprintf("%.4f", r.Summary.CleanTestAcc), fmt.Sprint(r.Summary.Epochs)))
	}
	w.Flush()
	return b.Bytes()
}

// splitOverrides splits a point's "k=v k2=[1, 2]" overrides at the
// spaces between settings (not those inside brackets).
func splitOverrides(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch {
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ' ' && depth == 0:
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
