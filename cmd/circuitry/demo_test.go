package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
)

// The demo's summary fits a screen: the MLP's accuracies, per study a
// tally of its checks, any network that did not learn, where the tables
// and reports are — no verdict table, no line a terminal must wrap.
func TestDemoSummaryIsShort(t *testing.T) {
	dir := t.TempDir()
	mlp := filepath.Join(dir, "mlp")
	os.MkdirAll(mlp, 0o755)
	b, _ := json.Marshal(classify.Summary{Epochs: 10, Luminosity: 0.75, FinalTestAcc: 0.8815, CleanTestAcc: 0.9045})
	os.WriteFile(filepath.Join(mlp, "summary.json"), b, 0o644)
	set := func(rs ...string) []experiment.VerdictSet {
		var vs []experiment.Verdict
		for i, r := range rs {
			vs = append(vs, experiment.Verdict{Check: i + 1, Result: r})
		}
		return []experiment.VerdictSet{{Verdicts: vs}}
	}
	reps := []*experiment.Reproduction{
		{Dirs: []string{"runs/demo/inhibitory-normalization-demo"}, Sets: set("underpowered", "underpowered", "n/a")},
		{Dirs: []string{"runs/demo/offline-reactivation-spatial-demo", "runs/demo/offline-reactivation-headdir-demo"}, Sets: set("underpowered", "n/a"),
			Warnings: []string{"offline-reactivation-spatial-demo/noisy_s0 did not learn (decoding error 0.457, untrained 0.687): its quiescent rows say nothing"}},
	}
	var out bytes.Buffer
	if err := demoSummary(&out, mlp, reps, 208*time.Second); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"finished in 3m28s", "88.15% (shifted), 90.45% (unshifted)", "2 underpowered, 1 n/a", "1 underpowered, 1 n/a",
		"note: offline-reactivation-spatial-demo/noisy_s0 did not learn", "verdicts: runs/demo/offline-reactivation-headdir-demo/verdicts.md",
		"circuitry reproduce offline-reactivation"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) > 20 {
		t.Errorf("%d lines", len(lines))
	}
	for _, l := range lines {
		if len(l) > 140 {
			t.Errorf("line of %d characters: %s", len(l), l)
		}
	}
}
