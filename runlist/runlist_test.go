package runlist

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/circuitry-lab/circuitry/report"

	"github.com/circuitry-lab/circuitry/experiment"
)

// The classifier kind's headline, as study/classify registers it.
func init() {
	experiment.RegisterHeadline("classifier", "final_test_acc", "clean_test_acc", "diverged", "epoch_seconds")
}

// write puts files (name -> content) under dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func record(kind string, finished bool) string {
	b, _ := json.Marshal(map[string]any{"kind": kind, "config_sha256": strings.Repeat("ab", 32), "finished": finished})
	return string(b)
}

// A tree with two single runs, a study (two points, one finished, judged)
// and a sweep (two of three points finished, with its report).
func tree(t *testing.T) string {
	root := t.TempDir()
	write(t, root, map[string]string{
		"mlp-a/run.json":     record("classifier", true),
		"mlp-a/config.yaml":  "name: mlp-a\ntrain:\n  lr: 0.1\n  epochs: 5\n",
		"mlp-a/summary.json": `{"final_test_acc": 0.85, "clean_test_acc": 0.86, "diverged": false, "epoch_seconds": 1.5, "other": 3}`,
		"mlp-b/run.json":     record("classifier", true),
		"mlp-b/config.yaml":  "name: mlp-b\ntrain:\n  lr: 2\n  epochs: 5\n",
		"mlp-b/summary.json": `{"final_test_acc": 0.1, "diverged": true}`,
		"mlp-c/run.json":     record("classifier", false),
		"mlp-c/config.yaml":  "name: mlp-c\ntrain:\n  lr: 0.1\n  epochs: 5\n",
		"notarun/file.txt":   "x",

		"study/study.yaml":                                 "study: toy\nseed: 0\n",
		"study/runs/p1/run.json":                           record("classifier", true),
		"study/runs/p2/run.json":                           record("classifier", false),
		"study/verdicts.json":                              `[{"title": "t", "verdicts": [{"result": "pass"}, {"result": "pass"}, {"result": "fail"}, {"result": "n/a"}]}]`,
		"study/report.html":                                "<html></html>",
		"sweep/points.tsv":                                 "p0000\tlr=0.1\np0001\tlr=1\np0002\tlr=10\n",
		"sweep/runs/p0000/run.json":                        record("classifier", true),
		"sweep/runs/p0001/run.json":                        record("classifier", true),
		"sweep/runs/p0002/run.json":                        record("classifier", false),
		"sweep/sweep.json":                                 `{"groups": [{"setting": "lr=0.1", "final_test_acc": {"mean": 80}}, {"setting": "lr=1", "final_test_acc": {"mean": 84}}, {"setting": "lr=10", "final_test_acc": {"mean": null}}]}`,
		"sweep/figures/accuracy.png":                       "\x89PNG",
		"inhibitory-normalization-quick-slurm/points.tsv":  "0\tp0\n1\tp1\n",
		"inhibitory-normalization-quick-slurm/slurm.sh":    "#!/bin/bash\n",
		"inhibitory-normalization-quick-slurm/verdicts.sh": "#!/bin/bash\n",
	})
	return root
}

func TestScan(t *testing.T) {
	root := tree(t)
	rows, err := Scan(root, false)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]int{}
	var paths []string
	for i, r := range rows {
		byPath[r.Path] = i
		paths = append(paths, r.Path)
	}
	if strings.Join(paths, " ") != "inhibitory-normalization-quick-slurm mlp-a mlp-b mlp-c study sweep" {
		t.Fatalf("rows %q", paths)
	}
	a, b, c := rows[byPath["mlp-a"]], rows[byPath["mlp-b"]], rows[byPath["mlp-c"]]
	if a.Status != "finished" || a.Metrics["final_test_acc"] != 0.85 || a.Metrics["other"] != nil || len(a.Metrics) != 4 {
		t.Errorf("mlp-a: %+v", a)
	}
	if b.Status != "diverged" || c.Status != "unfinished" || c.Finished {
		t.Errorf("statuses: %q %q", b.Status, c.Status)
	}
	if a.Config["train.lr"] != "0.1" || b.Config["train.lr"] != "2" || len(a.Config) != 1 {
		t.Errorf("differing config: %v %v", a.Config, b.Config)
	}
	st := rows[byPath["study"]]
	if st.Kind != "study: toy" || st.Status != "1/2 points, judged" || st.Finished || st.Metrics["pass"] != 2 || st.Metrics["fail"] != 1 ||
		st.Metrics["n/a"] != 1 || st.Report != "study/report.html" || st.Points == nil || *st.Points != (report.PointCount{Finished: 1, Total: 2}) || st.Metrics["points"] != nil {
		t.Errorf("study: %+v", st)
	}
	sw := rows[byPath["sweep"]]
	if sw.Kind != "sweep" || sw.Status != "2/3 points" || sw.Metrics["best_setting"] != "lr=1" || sw.Metrics["best_acc"] != 84.0 ||
		len(sw.Figures) != 1 || sw.Figures[0] != "sweep/figures/accuracy.png" || sw.Points == nil || *sw.Points != (report.PointCount{Finished: 2, Total: 3}) {
		t.Errorf("sweep: %+v", sw)
	}
	// A `reproduce --slurm` plan is not a sweep stuck at 0 points.
	if pl := rows[byPath["inhibitory-normalization-quick-slurm"]]; pl.Kind != "slurm plan" || !strings.HasPrefix(pl.Status, "2 array tasks") {
		t.Errorf("slurm plan: %+v", pl)
	}
	// With points, a study's and sweep's runs are rows too.
	rows, err = Scan(root, true)
	if err != nil || len(rows) != 11 {
		t.Fatalf("with points: %v, %d rows", err, len(rows))
	}
	if _, err := Scan(filepath.Join(root, "missing"), false); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("missing root: %v", err)
	}
}

// A finished run whose summary cannot be read is listed, marked, not
// dropped and not fatal: a FIFO (never opened blocking) and a damaged file.
func TestUnreadableSummaryIsMarked(t *testing.T) {
	root := t.TempDir()
	for name, rec := range map[string]string{"fifo": record("classifier", true), "bad": record("classifier", true)} {
		os.MkdirAll(filepath.Join(root, name), 0o755)
		os.WriteFile(filepath.Join(root, name, "run.json"), []byte(rec), 0o644)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo", "summary.json"), 0o644); err != nil {
		t.Skip(err)
	}
	os.WriteFile(filepath.Join(root, "bad", "summary.json"), []byte("{not json"), 0o644)
	rows, err := Scan(root, false)
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v, %d rows", err, len(rows))
	}
	if rows[0].Status != "finished, summary.json unreadable" || rows[1].Status != "finished, summary.json not a regular file" {
		t.Errorf("statuses %q, %q", rows[0].Status, rows[1].Status)
	}
}

// Whatever a run directory's run.json, summary.json, config.yaml and a
// study's verdicts.json hold, Scan lists without panicking, and a row's
// status is never empty.
func FuzzScan(f *testing.F) {
	f.Add([]byte(record("classifier", true)), []byte(`{"final_test_acc": 0.85, "diverged": false}`), []byte("train: {lr: 0.1}\n"), []byte(`[{"title": "t", "verdicts": [{"result": "pass"}]}]`))
	f.Add([]byte(`{"kind": "", "finished": "yes"}`), []byte(`[1, 2`), []byte("{{"), []byte(`{"verdicts": null}`))
	f.Add([]byte(record("reactivation", false)), []byte(`{"decode_err": 1e309, "kl_quiescent_waking": null}`), []byte("a: [1, [2, {b: c}]]\n"), []byte(`[]`))
	f.Fuzz(func(t *testing.T, rec, sum, cfg, verdicts []byte) {
		root := t.TempDir()
		for name, data := range map[string][]byte{"run/run.json": rec, "run/summary.json": sum, "run/config.yaml": cfg,
			"study/study.yaml": cfg, "study/verdicts.json": verdicts, "study/runs/p0/run.json": rec, "study/runs/p0/summary.json": sum} {
			p := filepath.Join(root, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, data, 0o644)
		}
		for _, points := range []bool{false, true} {
			rows, err := Scan(root, points)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Status == "" && r.Kind != "" {
					t.Errorf("%s: empty status (kind %q)", r.Path, r.Kind)
				}
			}
		}
	})
}
