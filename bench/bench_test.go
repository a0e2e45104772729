package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/circuitry-lab/circuitry/internal/pyfind"
	"github.com/circuitry-lab/circuitry/tensor"
)

// The study workloads of `circuitry bench` as go test benchmarks:
//
//	go test -run x -bench Study ./experiment
func BenchmarkStudy1Step(b *testing.B) {
	for _, c := range []struct {
		cond string
		h    int
	}{{"ei", 500}, {"ei_ln", 500}, {"inorm_full", 500}} {
		b.Run(c.cond, func(b *testing.B) {
			for b.Loop() {
				r, err := Study1(c.cond, c.h, 500*time.Millisecond, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.Value, "steps/s")
			}
		})
	}
}

// The presets' study-1 workload: float16 autocast, a network per core.
func BenchmarkStudy1Protocol(b *testing.B) {
	for b.Loop() {
		r, err := Study1Protocol("inorm_full", 242, runtime.GOMAXPROCS(0), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Value, "network-steps/s")
	}
}

func TestStudy1ProtocolCountsEveryNetwork(t *testing.T) {
	r, err := Study1Protocol("ei", 16, 3, 20*time.Millisecond)
	if err != nil || r.Threads != 3 || r.Networks != 3 || r.Unit != "network-steps/s" || r.Value <= 0 || !strings.Contains(r.Name, "3 x ei 784-16-16-10") {
		t.Fatalf("%+v, %v", r, err)
	}
	var b strings.Builder
	printLine(&b, compare([]Result{r}, nil), false)
	if !strings.Contains(b.String(), "(3 networks, 1 worker each)") {
		t.Fatalf("line: %s", b.String())
	}
	r, err = Study1ProtocolAlone("ei", 16, 2, 20*time.Millisecond)
	if err != nil || r.Threads != 2 || r.Networks != 1 || r.Value <= 0 || !strings.Contains(r.Name, "one network at a time") {
		t.Fatalf("alone: %+v, %v", r, err)
	}
	b.Reset()
	printLine(&b, compare([]Result{r}, nil), false)
	if !strings.Contains(b.String(), "(2 workers)") {
		t.Fatalf("alone: %s", b.String())
	}
	if _, err := Study1Protocol("ei", 16, 1, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := Study1Protocol("inorm", 1000, 1, time.Millisecond); err == nil {
		t.Fatal("an I-Norm layer wider than its input was accepted")
	}
}

func BenchmarkStudy2Step(b *testing.B) {
	for _, c := range []struct {
		task        string
		nRec, cells int
	}{{"spatial", 512, 512}, {"headdir", 128, 512}} {
		b.Run(c.task, func(b *testing.B) {
			for b.Loop() {
				rs, err := Study2(c.task, c.nRec, c.cells, 200, 100, time.Second, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(rs[0].Value, "s/step")
			}
		})
	}
}

// Each side is compared at its faster setting, named on the line: rates
// by the higher value, times by the lower.
func TestCompareUsesEachSidesFasterSetting(t *testing.T) {
	torch := map[string]Result{"g": {Name: "g", Value: 90, Unit: "GFLOP/s", Threads: 1}, "s": {Name: "s", Value: 2, Unit: "s/step", Threads: 2}}
	l := compare([]Result{{Name: "g", Value: 40, Unit: "GFLOP/s", Threads: 1}, {Name: "g", Value: 72, Unit: "GFLOP/s", Threads: 2}}, torch)
	if l.Circuitry.Threads != 2 || l.Other.Threads != 1 || l.PyTorch.Threads != 1 || l.Speed != 0.8 {
		t.Fatalf("rate: %+v", l)
	}
	l = compare([]Result{{Name: "s", Value: 1, Unit: "s/step", Threads: 1}, {Name: "s", Value: 1.5, Unit: "s/step", Threads: 2}}, torch)
	if l.Circuitry.Threads != 1 || l.Speed != 2 {
		t.Fatalf("time: %+v", l)
	}
	var b strings.Builder
	printLine(&b, l, false)
	if !strings.Contains(b.String(), "(1 worker)") || !strings.Contains(b.String(), "PyTorch 2 (2 threads)") || !strings.Contains(b.String(), "2.00x") {
		t.Fatalf("line: %s", b.String())
	}
	b.Reset()
	printLine(&b, l, true)
	if !strings.Contains(b.String(), `"speed_vs_pytorch":2`) || !strings.Contains(b.String(), `"threads":2`) {
		t.Fatalf("json: %s", b.String())
	}
}

// Rounds keep each side's best per workload line and setting: the highest
// rate, the shortest time, whichever round it came from.
func TestKeepBestTakesEachSettingsBestRound(t *testing.T) {
	g := func(v float64, th int) Result { return Result{Name: "g", Value: v, Unit: "GFLOP/s", Threads: th} }
	s := func(v float64, th int) Result { return Result{Name: "s", Value: v, Unit: "s/step", Threads: th} }
	best := keepBest(nil, [][]Result{{g(50, 1), g(90, 2)}, {s(1.2, 1), s(0.8, 2)}})
	best = keepBest(best, [][]Result{{g(60, 1), g(80, 2)}, {s(1.0, 1), s(0.9, 2)}})
	best = keepBest(best, [][]Result{{g(55, 1), g(85, 2)}, {s(1.1, 1), s(0.7, 2)}})
	want := [][]Result{{g(60, 1), g(90, 2)}, {s(1.0, 1), s(0.7, 2)}}
	for i := range want {
		for j := range want[i] {
			if best[i][j] != want[i][j] {
				t.Fatalf("line %d setting %d: %+v, want %+v", i, j, best[i][j], want[i][j])
			}
		}
	}
	if _, err := Run(io.Discard, time.Millisecond, false, 0); err == nil || !strings.Contains(err.Error(), "rounds 0") {
		t.Fatalf("zero rounds: %v", err)
	}
}

// PyTorch's results are named by the thread counts its process reported,
// not the ones bench asked for; OpenBLAS's count shows where it differs.
func TestTorchResultsNamedByTheSettingTheyRanWith(t *testing.T) {
	out := []byte(`{"name": "setting", "threads": 1, "blas_threads": 2}
{"name": "g", "value": 90, "unit": "GFLOP/s"}
not json
`)
	r := parseTorch(out, torchSetting{1, 1})["g"]
	if r.Value != 90 || r.Threads != 1 || r.BLASThreads != 2 || torchName(r) != "1 thread, OpenBLAS 2 threads" {
		t.Fatalf("mixed setting: %+v (%s)", r, torchName(r))
	}
	r = parseTorch([]byte(`{"name": "setting", "threads": 2, "blas_threads": null}
{"name": "g", "value": 90, "unit": "GFLOP/s"}`), torchSetting{1, 1})["g"]
	if r.Threads != 2 || r.BLASThreads != 0 || torchName(r) != "2 threads" {
		t.Fatalf("no OpenBLAS: %+v", r)
	}
	r = parseTorch([]byte(`{"name": "g", "value": 90, "unit": "GFLOP/s"}`), torchSetting{1, 3})["g"]
	if r.Threads != 1 || r.BLASThreads != 3 {
		t.Fatalf("no setting line: %+v", r)
	}
	env := strings.Join(torchEnv(torchSetting{1, 4}), " ")
	if env != "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=4 MKL_NUM_THREADS=4" {
		t.Fatalf("env: %s", env)
	}
}

// With Debian's torch installed, the environment bench sets reaches
// OpenBLAS: the script reports 1 OpenBLAS thread when asked for 1 (before
// this, torch.set_num_threads(1) left its GEMMs on every core).
func TestTorchSettingReachesOpenBLAS(t *testing.T) {
	py, err := pyfind.Find("torch")
	if err != nil {
		t.Skip(err)
	}
	// Only the setting line is needed: stop the script after it.
	script := strings.Replace(benchTorchScript, "\nfor m, n, k in", "\nsys.exit(0)\nfor m, n, k in", 1)
	if script == benchTorchScript {
		t.Fatal("bench_torch.py: no GEMM loop to stop before")
	}
	for _, s := range []torchSetting{{1, 1}, {1, 2}} {
		if s.blas > runtime.NumCPU() { // OpenBLAS caps its threads at the CPUs it sees
			continue
		}
		cmd := exec.Command(py, "-c", script, "0", fmt.Sprint(s.threads))
		cmd.Env = append(os.Environ(), torchEnv(s)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Threads *int `json:"threads"`
			BLAS    *int `json:"blas_threads"`
		}
		if err := json.Unmarshal(bytes.SplitN(out, []byte("\n"), 2)[0], &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if got.Threads == nil || *got.Threads != s.threads || (got.BLAS != nil && *got.BLAS != s.blas) {
			t.Fatalf("asked %+v, ran %s", s, out)
		}
	}
}

func BenchmarkStudy1ProtocolAlone(b *testing.B) {
	for b.Loop() {
		r, err := Study1ProtocolAlone("inorm_full", 242, runtime.GOMAXPROCS(0), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Value, "network-steps/s")
	}
}

// A result's FLOP rate follows its unit: a rate per step multiplies, a
// time per step divides, a GEMM's rate is itself; no count, no rate.
func TestResultGFLOPs(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want float64
	}{
		{Result{Value: 300, Unit: "steps/s", FLOPs: 1e8}, 30},
		{Result{Value: 0.5, Unit: "s/step", FLOPs: 60e9}, 120},
		{Result{Value: 140, Unit: "GFLOP/s", FLOPs: 2e9}, 140},
		{Result{Value: 300, Unit: "steps/s"}, 0},
	} {
		if got := c.r.GFLOPs(); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%+v: %g GFLOP/s, want %g", c.r, got, c.want)
		}
	}
}

// A study-1 step's FLOPs are exactly the products it runs. E-only LN+ at
// H = 100, batch 32: per layer 2 m n k for the forward, the weight
// gradient and (not for the first layer, whose input is data) the input
// gradient; the output DANN layer (10 units, 1 interneuron) also forms
// W = Wex - Wei Wix and back-propagates to Wei and Wix.
func TestStudy1FLOPsCounted(t *testing.T) {
	step, err := study1Step("e_ln", 100, tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	mm := func(m, n, k float64) float64 { return 2 * m * n * k }
	want := 2*mm(32, 100, 784) + // layer 1: forward, dW
		3*mm(32, 100, 100) + // layer 2: forward, dW, dx
		mm(10, 100, 1) + 3*mm(32, 10, 100) + 2*mm(10, 100, 1) // output: W, forward, dW, dx, dWei, dWix
	if got := countFLOPs(step, 1); got != want {
		t.Fatalf("%g FLOPs per step, want %g", got, want)
	}
}
