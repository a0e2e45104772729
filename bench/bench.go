package bench

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
	"time"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/study/reactivation"
	"github.com/circuitry-lab/circuitry/task/pathint"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Result is one line of `circuitry bench`.
type Result struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// timeIt runs f until at least minDur has passed (after one warm-up call)
// and returns seconds per call: throughput, what a training run gets. (A
// median would flatter PyTorch here: its study-1 steps take 1.8 ms at the
// median but stall for 16-90 ms every tenth step, 5.3 ms on average.)
func timeIt(minDur time.Duration, f func()) float64 {
	f()
	n := 0
	start := time.Now()
	for time.Since(start) < minDur || n < 3 {
		f()
		n++
	}
	return time.Since(start).Seconds() / float64(n)
}

// GEMM measures Sgemm GFLOP/s on m x k times k x n.
func GEMM(m, n, k int, minDur time.Duration) Result {
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = 1
	}
	for i := range b {
		b[i] = 0.5
	}
	sec := timeIt(minDur, func() { kernels.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
	return Result{fmt.Sprintf("sgemm %dx%dx%d (%s)", m, n, k, kernels.Backend()), 2 * float64(m*n*k) / sec / 1e9, "GFLOP/s"}
}

// Study1 measures training steps per second of a study-1 network
// (784-H-H-10, batch 32, SGD with projection and, for I-Norm, the local loss).
func Study1(cond string, h int, minDur time.Duration) (Result, error) {
	rng := experiment.Stream(1, "bench")
	net, err := ei.NewNetwork(ei.Conditions[cond], 784, []int{h, h}, nil, 10, 0.01, rng)
	if err != nil {
		return Result{}, err
	}
	groups := net.Groups(0.005, 0.1, 0.001)
	params := nn.ParamsOf(groups)
	opt := nn.NewSGD(groups...)
	x := tensor.New(32, 784)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	labels := make([]uint8, 32)
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	ce := &nn.SoftmaxCrossEntropy{Smoothing: 0.1}
	sec := timeIt(minDur, func() {
		nn.ZeroGrad(params)
		ce.Loss(net.Forward(x), labels)
		net.Backward(ce.Backward())
		net.LocalBackward()
		net.CorrectGradients()
		opt.Step() // projects Dale's-law weights too
	})
	return Result{fmt.Sprintf("study-1 train step, %s 784-%d-%d-10, batch 32", cond, h, h), 1 / sec, "steps/s"}, nil
}

// Study2 measures seconds per training step of a study-2 network
// (forward, MSE, BPTT, Adam; batch generation excluded, reported apart).
func Study2(task string, nRec, cells, batch, seqLen int, minDur time.Duration) ([]Result, error) {
	s := reactivation.Default()
	s.Task, s.Network.NRec, s.Network.Cells, s.Train.SeqLen = task, nRec, cells, seqLen
	if task == "headdir" {
		s.Network.Tau, s.Network.Sigma2Rec = 0.04, 1e-2
	}
	tk := s.NewTask(false, 0)
	cfg := rnn.Config{NIn: tk.NIn(), NRec: nRec, NOut: cells, NInit: cells, Alpha: s.Network.Dt / s.Network.Tau, Activation: "relu",
		SigmaRec: math.Sqrt(s.Network.Sigma2Rec), Noise: "gaussian"}
	net, err := rnn.New(cfg, experiment.Stream(0, "init"))
	if err != nil {
		return nil, err
	}
	rng := experiment.Stream(0, "bench")
	var b *pathint.Batch
	gen := timeIt(minDur/4, func() { b = tk.Sample(rng, batch, b) })
	x, c0, tgt := tensor.FromSlice(b.T*b.B, tk.NIn(), b.X), tensor.FromSlice(b.B, cells, b.Init), tensor.FromSlice(b.T*b.B, cells, b.Target)
	opt := nn.NewAdam(nn.Group{Params: net.Params(), LR: 1e-3})
	mse := &nn.MSE{}
	sec := timeIt(minDur, func() {
		nn.ZeroGrad(net.Params())
		mse.Loss(net.Forward(x, c0, rng), tgt)
		net.Backward(mse.Backward())
		opt.Step()
	})
	name := fmt.Sprintf("study-2 %s RNN %d units, %d cells, batch %d x %d steps", task, nRec, cells, batch, seqLen)
	return []Result{
		{name + ": train step", sec, "s/step"},
		{name + ": batch generation", gen, "s/batch"},
	}, nil
}

//go:embed bench_torch.py
var benchTorchScript string

// DebianPython is the interpreter whose torch `circuitry bench` compares against.
const DebianPython = "/usr/bin/python3"

// torchBench runs the PyTorch equivalents, or returns nil when python3 or
// torch is missing.
func torchBench(minDur time.Duration) map[string]Result {
	if exec.Command(DebianPython, "-c", "import torch").Run() != nil {
		return nil
	}
	cmd := exec.Command(DebianPython, "-c", benchTorchScript, fmt.Sprint(minDur.Seconds()))
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	res := map[string]Result{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r Result
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			res[r.Name] = r
		}
	}
	return res
}

// Run prints every benchmark of `circuitry bench`, and, when Debian's
// python3 has torch, the same workloads in PyTorch with the ratios.
func Run(w io.Writer, minDur time.Duration) ([]Result, error) {
	var out []Result
	torch := torchBench(minDur)
	if torch == nil {
		fmt.Fprintf(w, "(no PyTorch comparison: %s with torch not found; apt-get install python3-torch)\n", DebianPython)
	}
	emit := func(r Result) {
		out = append(out, r)
		line := fmt.Sprintf("%-78s %10.4g %s", r.Name, r.Value, r.Unit)
		key := r.Name
		if i := strings.Index(key, " ("); i >= 0 {
			key = key[:i]
		}
		if t, ok := torch[key]; ok {
			ratio := r.Value / t.Value
			if r.Unit == "s/step" {
				ratio = t.Value / r.Value // speed-up
			}
			line += fmt.Sprintf("   PyTorch %.4g %s   circuitry/PyTorch speed %.2fx", t.Value, t.Unit, ratio)
		}
		fmt.Fprintln(w, line)
	}
	for _, s := range [][3]int{{32, 500, 784}, {200, 512, 512}, {1024, 1024, 1024}} {
		emit(GEMM(s[0], s[1], s[2], minDur))
	}
	for _, c := range []struct {
		cond string
		h    int
	}{{"ei", 500}, {"ei_ln", 500}, {"inorm_full", 500}, {"inorm_full", 300}} {
		r, err := Study1(c.cond, c.h, minDur)
		if err != nil {
			return nil, err
		}
		emit(r)
	}
	for _, c := range []struct {
		task        string
		nRec, cells int
	}{{"spatial", 512, 512}, {"headdir", 128, 512}} {
		rs, err := Study2(c.task, c.nRec, c.cells, 200, 100, minDur)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			emit(r)
		}
	}
	return out, nil
}
