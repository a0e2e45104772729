// Package runlist finds the runs, studies and sweeps under a directory and
// summarises each in one row: its status, headline results and the config
// keys that set it apart from the others of its kind. `circuitry runs`
// prints the rows; `circuitry serve` shows them as its index.
package runlist

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/report"
)

// Scan lists root's runs, studies and sweeps, sorted by path. A study's or
// sweep's points are listed only with points set (otherwise on its page).
func Scan(root string, points bool) ([]report.RunInfo, error) {
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", root)
	}
	var rows []report.RunInfo
	configs := map[string]map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "analyses" || d.Name() == "checkpoints") {
			return filepath.SkipDir
		}
		row, cfg, ok := describe(root, path)
		if !ok {
			return nil
		}
		rows = append(rows, row)
		configs[row.Path] = cfg
		if report.IsStudy(row.Kind) || row.Kind == "sweep" {
			if points {
				return nil // walk on into its runs/
			}
			return filepath.SkipDir
		}
		return filepath.SkipDir // a run holds no runs
	})
	if err != nil {
		return nil, err
	}
	markDiffering(rows, configs)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	return rows, nil
}

// describe is dir's row, its flattened config, and whether dir is a run,
// study or sweep at all.
func describe(root, dir string) (report.RunInfo, map[string]string, bool) {
	has := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	rel, _ := filepath.Rel(root, dir)
	row := report.RunInfo{Path: filepath.ToSlash(rel), Metrics: map[string]any{}}
	var cfgFile string
	switch {
	case has("points.tsv") && has("verdicts.sh"):
		// `reproduce --slurm`'s plan: its runs live in the study
		// directories beside it, which are listed themselves.
		b, _ := fsutil.ReadRegular(filepath.Join(dir, "points.tsv"), fsutil.MaxSummaryBytes)
		row.Kind = "slurm plan"
		row.Status = fmt.Sprintf("%d array tasks (slurm.sh, then verdicts.sh); the runs are in the study directories", strings.Count(string(b), "\n"))
	case has("points.tsv"):
		row.Kind, cfgFile = "sweep", "sweep.yaml"
		sweepMetrics(dir, &row)
	case has("study.yaml") || has("verdicts.md") || has("comparison.md") || has("report.md"):
		row.Kind, cfgFile = "study", "study.yaml"
		studyMetrics(dir, &row)
	default:
		rec, err := experiment.ReadRecord(dir)
		if err != nil {
			return row, nil, false // not a run (or not one of this circuitry)
		}
		row.Kind, row.Finished, cfgFile = rec.Kind, rec.Finished, "config.yaml"
		row.Status = "unfinished"
		if rec.Finished {
			row.Status = "finished"
		}
		runMetrics(dir, &row)
	}
	if has("report.html") {
		row.Report = filepath.ToSlash(filepath.Join(row.Path, "report.html"))
	}
	figs, _ := filepath.Glob(filepath.Join(dir, "figures", "*.png"))
	for _, f := range figs {
		r, _ := filepath.Rel(root, f)
		row.Figures = append(row.Figures, filepath.ToSlash(r))
	}
	if st, err := os.Stat(dir); err == nil {
		row.Modified = st.ModTime()
	}
	var cfg map[string]string
	if b, err := experiment.ReadConfigFile(filepath.Join(dir, cfgFile)); err == nil {
		cfg, _ = experiment.FlattenConfig(b)
	}
	if row.Kind == "study" && cfg["study"] != "" {
		// One kind per study: study 1's and study 2's settings differ, and
		// one table of both would hold the union of their keys.
		row.Kind = report.StudyKind(cfg["study"])
	}
	return row, cfg, true
}

// runMetrics copies a run's headline summary fields; a diverged run says
// so in its status.
func runMetrics(dir string, row *report.RunInfo) {
	var sum map[string]any
	if err := readJSON(filepath.Join(dir, "summary.json"), &sum); err != nil {
		if row.Finished { // a finished run must have one: say why it shows no results
			row.Status = "finished, summary.json unreadable"
			if errors.Is(err, fsutil.ErrNotRegular) {
				row.Status = "finished, summary.json not a regular file"
			}
		}
		return
	}
	for _, k := range experiment.Headline(row.Kind) {
		if v, ok := sum[k]; ok {
			row.Metrics[k] = v
		}
	}
	if d, _ := sum["diverged"].(bool); d {
		row.Status = "diverged"
	}
}

// studyMetrics counts a study's finished points and its verdicts.
func studyMetrics(dir string, row *report.RunInfo) {
	done, total := countPoints(dir)
	row.Points = &report.PointCount{Finished: done, Total: total}
	row.Finished = total > 0 && done == total
	row.Status = fmt.Sprintf("%d/%d points", done, total)
	var sets []experiment.VerdictSet
	if readJSON(filepath.Join(dir, "verdicts.json"), &sets) != nil {
		return
	}
	counts := map[string]int{}
	for _, s := range sets {
		for _, v := range s.Verdicts {
			counts[v.Result]++
		}
	}
	for _, r := range []string{"pass", "fail", "inconclusive", "underpowered", "n/a"} {
		row.Metrics[r] = counts[r]
	}
	row.Status += ", judged"
}

// sweepMetrics counts a sweep's finished points and names its best
// setting (highest mean final test accuracy) once it has a report.
func sweepMetrics(dir string, row *report.RunInfo) {
	b, _ := fsutil.ReadRegular(filepath.Join(dir, "points.tsv"), fsutil.MaxSummaryBytes)
	total := strings.Count(string(b), "\n")
	done, _ := countPoints(dir)
	row.Points = &report.PointCount{Finished: done, Total: total}
	row.Finished = total > 0 && done == total
	row.Status = fmt.Sprintf("%d/%d points", done, total)
	var rep struct {
		Groups []struct {
			Setting string `json:"setting"`
			Acc     struct {
				Mean *float64 `json:"mean"` // null when no seed finished with a number
			} `json:"final_test_acc"`
		} `json:"groups"`
	}
	if readJSON(filepath.Join(dir, "sweep.json"), &rep) != nil {
		return
	}
	for _, g := range rep.Groups {
		best, seen := row.Metrics["best_acc"].(float64)
		if g.Acc.Mean != nil && (!seen || *g.Acc.Mean > best) {
			row.Metrics["best_acc"], row.Metrics["best_setting"] = *g.Acc.Mean, g.Setting
		}
	}
}

// countPoints counts the run directories under dir/runs and how many of
// them finished.
func countPoints(dir string) (done, total int) {
	entries, _ := os.ReadDir(filepath.Join(dir, "runs"))
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		rec, err := experiment.ReadRecord(filepath.Join(dir, "runs", e.Name()))
		if err != nil {
			continue
		}
		total++
		if rec.Finished {
			done++
		}
	}
	return done, total
}

// markDiffering sets each row's Config to the keys whose values are not
// the same across all rows of its kind (name and out.dir aside).
func markDiffering(rows []report.RunInfo, configs map[string]map[string]string) {
	for i := range rows {
		rows[i].Config = map[string]string{}
		for j := range rows {
			if rows[j].Kind != rows[i].Kind {
				continue
			}
			a, b := configs[rows[i].Path], configs[rows[j].Path]
			for k, v := range a {
				if w, ok := b[k]; (!ok || w != v) && k != "name" && k != "out.dir" {
					rows[i].Config[k] = v
				}
			}
		}
	}
}

func readJSON(path string, v any) error {
	b, err := fsutil.ReadRegular(path, fsutil.MaxSummaryBytes)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
