package classify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/runtest"
	"github.com/circuitry-lab/circuitry/tensor"
)

func tinyConfig(t *testing.T, name string) Config {
	cfg, err := ParseConfig([]byte("data:\n  train_limit: 2000\nmodel:\n  hidden: [32, 16]\ntrain:\n  epochs: 3\n  batch_size: 20\n  lr: 0.003\n"),
		[]string{"name=" + name, "out.dir=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// metricsWithoutTime strips the wall-clock field, which is all that may
// differ between two runs of the same config and seed.
func metricsWithoutTime(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		i := strings.Index(line, `,"seconds"`)
		out = append(out, line[:i])
	}
	return strings.Join(out, "\n")
}

func TestTrainClassifierDeterministic(t *testing.T) {
	var runs []string
	for _, name := range []string{"a", "b"} {
		cfg := tinyConfig(t, name)
		sum, err := Train(context.Background(), cfg, RunOptions{DataDir: "embedded"})
		if err != nil {
			t.Fatal(err)
		}
		if sum.TrainImages != 2000 || sum.TestImages != 2000 || sum.FinalTestAcc < 0.6 {
			t.Fatalf("summary %+v", sum)
		}
		runs = append(runs, metricsWithoutTime(t, sum.RunDir))
	}
	if runs[0] != runs[1] || strings.Count(runs[0], "\n") != 2 {
		t.Fatalf("same config and seed gave different metrics:\n%s\n%s", runs[0], runs[1])
	}
	cfg := tinyConfig(t, "c")
	cfg.Seed = 2
	sum, err := Train(context.Background(), cfg, RunOptions{DataDir: "embedded"})
	if err != nil {
		t.Fatal(err)
	}
	if metricsWithoutTime(t, sum.RunDir) == runs[0] {
		t.Fatal("a different seed gave identical metrics")
	}
}

// TestCenterInputMLP: with center_input the MLP ignores an additive shift
// of its input (before clipping), and it trains.
func TestCenterInputMLP(t *testing.T) {
	net := buildMLP(ModelConfig{Hidden: []int{16}, CenterInput: true}, 12, 3, experiment.Stream(1, "init"))
	rng := experiment.Stream(2, "x")
	x, xs := tensor.New(4, 12), tensor.New(4, 12)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
		xs.Data[i] = x.Data[i] + 0.25
	}
	y := net.Forward(x).Clone()
	ys := net.Forward(xs)
	for i := range y.Data {
		if math.Abs(float64(y.Data[i]-ys.Data[i])) > 1e-5 {
			t.Fatalf("output %d: %v unshifted, %v shifted", i, y.Data[i], ys.Data[i])
		}
	}
	cfg := tinyConfig(t, "centred")
	cfg.Model.CenterInput = true
	sum, err := Train(context.Background(), cfg, RunOptions{DataDir: "embedded"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.FinalTestAcc < 0.6 {
		t.Fatalf("centred MLP test accuracy %.3f", sum.FinalTestAcc)
	}
}

func TestTrainClassifierCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Train(ctx, tinyConfig(t, "x"), RunOptions{DataDir: "embedded"})
	if err == nil || !strings.Contains(err.Error(), "interrupted at epoch 1 step 0") {
		t.Fatalf("err = %v", err)
	}
}

// The reproductions of the engine's old idea of "finished" (summary.json
// exists), each now a refusal that leaves the directory as it was.
func TestClassifierRunRefusesOtherConfig(t *testing.T) {
	cfg := tinyConfig(t, "r")
	cfg.Train.Epochs = 1
	if _, err := Train(context.Background(), cfg, RunOptions{DataDir: "embedded"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.Out.Dir, cfg.Name)
	before := runtest.Snapshot(t, dir)
	var log bytes.Buffer
	if _, err := Train(context.Background(), cfg, RunOptions{DataDir: "embedded", Log: &log}); err != nil || !strings.Contains(log.String(), "reusing") {
		t.Fatalf("same config: %v, log %q", err, log.String())
	}
	changed := cfg
	changed.Train.BatchSize, changed.Train.LabelSmoothing = 64, 0
	_, err := Train(context.Background(), changed, RunOptions{DataDir: "embedded"})
	if err == nil || !strings.Contains(err.Error(), "finished with train.batch_size=20, train.label_smoothing=0.1, the config now says train.batch_size=64, train.label_smoothing=0") {
		t.Fatalf("changed config: %v", err)
	}
	if _, err := Resume(context.Background(), dir, RunOptions{DataDir: "embedded"}); err == nil || !strings.Contains(err.Error(), "already finished") {
		t.Fatalf("resume of a finished run: %v", err)
	}
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, dir))
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte("{trunc"), 0o644)
	if _, err := Train(context.Background(), cfg, RunOptions{DataDir: "embedded"}); err == nil || !strings.Contains(err.Error(), "summary.json: damaged") {
		t.Fatalf("damaged summary: %v", err)
	}
	sum, err := Train(context.Background(), changed, RunOptions{DataDir: "embedded", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if !strings.Contains(string(b), "batch_size: 64") || sum.Epochs != 1 {
		t.Fatalf("forced run's config.yaml:\n%s", b)
	}
}

// The authors' protocol: file order every epoch and a fresh test shift
// on every evaluation; shuffle and a fixed test shift are options.
func TestDataOrderAndTestShift(t *testing.T) {
	order := experiment.NewRNG(1, "data-order")
	if p := epochOrder(5, false, order); fmt.Sprint(p) != "[0 1 2 3 4]" {
		t.Fatalf("file order: %v", p)
	}
	a, b := epochOrder(50, true, order), epochOrder(50, true, order)
	if fmt.Sprint(a) == fmt.Sprint(b) || fmt.Sprint(a) == fmt.Sprint(epochOrder(50, false, order)) {
		t.Fatal("shuffle gives the same order twice, or file order")
	}
	for _, fixed := range []bool{true, false} {
		cfg := tinyConfig(t, "s")
		cfg.Data.FixedTestShift = fixed
		var shifts [][]float32
		for run := 0; run < 2; run++ {
			r, err := newClassifierRun(cfg, RunOptions{DataDir: "embedded"})
			if err != nil {
				t.Fatal(err)
			}
			r.shiftTest()
			first := append([]float32(nil), r.shiftedTest...)
			r.shiftTest()
			if same := slices.Equal(first, r.shiftedTest); same != fixed {
				t.Fatalf("fixed_test_shift=%v: two evaluations see the same shifts: %v", fixed, same)
			}
			shifts = append(shifts, first)
		}
		if !slices.Equal(shifts[0], shifts[1]) {
			t.Fatalf("fixed_test_shift=%v: the shifts are not reproducible from the seed", fixed)
		}
	}
}

// A run whose loss turns non-finite finishes recorded as diverged: a
// checkpoint taken after the NaN still encodes, the summary names the first
// non-finite step, and the study counts the run at chance.
func TestDivergedRunIsRecorded(t *testing.T) {
	cfg := tinyConfig(t, "nan")
	cfg.Train.Shuffle = false      // file order: image i is in step i/20 + 1
	cfg.Train.CheckpointEvery = 70 // a save after the NaN (step 62)
	train, test, src, err := LoadData(cfg.Data, "embedded", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	poisoned := *train
	poisoned.Pixels = append([]float32(nil), train.Pixels[:cfg.Data.TrainLimit*train.Dim()]...)
	poisoned.Pixels[1234*train.Dim()+300] = float32(math.NaN())
	var log bytes.Buffer
	sum, err := Train(context.Background(), cfg, RunOptions{Train: &poisoned, Test: test, Source: src, Log: &log})
	if err != nil {
		t.Fatalf("a diverged run is a result, not an error: %v", err)
	}
	if !sum.Diverged || sum.DivergedStep != 62 || !strings.Contains(log.String(), "not finite from step 62 (epoch 1)") {
		t.Fatalf("diverged %v at step %d; log %q", sum.Diverged, sum.DivergedStep, log.String())
	}
	dir := filepath.Join(cfg.Out.Dir, cfg.Name)
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !strings.Contains(string(b), `"diverged": true`) || !strings.Contains(string(b), `"diverged_step": 62`) {
		t.Fatalf("summary.json: %v\n%s", err, b)
	}
	metrics := metricsWithoutTime(t, dir)
	if strings.Count(metrics, "\n") != 0 || !strings.Contains(metrics, `"train_loss":null`) {
		t.Fatalf("want one epoch recorded with a null loss (the run stops at that epoch's end):\n%s", metrics)
	}
	for _, f := range []string{"weights.safetensors", "report.html", "run.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("diverged run lacks %s: %v", f, err)
		}
	}
	var again bytes.Buffer
	if _, err := Train(context.Background(), cfg, RunOptions{Train: &poisoned, Test: test, Source: src, Log: &again}); err != nil || !strings.Contains(again.String(), "reusing") {
		t.Fatalf("a diverged run is finished: %v, log %q", err, again.String())
	}
}
