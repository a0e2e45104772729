package experiment

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/nn"
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
		sum, err := TrainClassifier(context.Background(), cfg, RunOptions{DataDir: "embedded"})
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
	sum, err := TrainClassifier(context.Background(), cfg, RunOptions{DataDir: "embedded"})
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
	net := buildMLP(ModelConfig{Hidden: []int{16}, CenterInput: true}, 12, 3, Stream(1, "init"))
	rng := Stream(2, "x")
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
	sum, err := TrainClassifier(context.Background(), cfg, RunOptions{DataDir: "embedded"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.FinalTestAcc < 0.6 {
		t.Fatalf("centred MLP test accuracy %.3f", sum.FinalTestAcc)
	}
}

func TestSetLR(t *testing.T) {
	cases := []struct {
		schedule    string
		step, total int
		want        float64
	}{
		{"cosine", 0, 100, 0.2},
		{"cosine", 50, 100, 0.1},
		{"cosine", 100, 100, 0},
		{"constant", 50, 100, 0.2},
		{"", 99, 100, 0.2},
	}
	for _, c := range cases {
		opt := nn.NewAdam(nn.Group{Name: "all", LR: 0.2})
		setLR(opt, []float64{0.2}, c.schedule, c.step, c.total)
		if got := opt.ParamGroups()[0].LR; math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%q step %d/%d: lr %v, want %v", c.schedule, c.step, c.total, got, c.want)
		}
	}
}

func TestTrainClassifierCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := TrainClassifier(ctx, tinyConfig(t, "x"), RunOptions{DataDir: "embedded"})
	if err == nil || !strings.Contains(err.Error(), "interrupted at epoch 1 step 0") {
		t.Fatalf("err = %v", err)
	}
}
