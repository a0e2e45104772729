package bench

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/pyfind"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/study/reactivation"
	"github.com/circuitry-lab/circuitry/task/pathint"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Result is one measurement.
type Result struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Threads int     `json:"threads"` // circuitry's GEMM workers or PyTorch's threads
	// BLASThreads is PyTorch's OpenBLAS thread count where it differs from
	// Threads (torch.set_num_threads does not reach Debian's OpenBLAS).
	BLASThreads int `json:"blas_threads,omitempty"`
	// Networks is how many networks trained side by side (Study1Protocol),
	// each with Threads/Networks workers.
	Networks int `json:"networks,omitempty"`
	// FLOPs per unit of Value's denominator (a product, a step, a
	// network-step): the matrix products it runs, 2 m n k each, as the
	// kernels count them (kernels.StartFLOPCount); element-wise work is not
	// counted. 0 where not measured (PyTorch's side, batch generation).
	FLOPs float64 `json:"flop,omitempty"`
}

// GFLOPs is the FLOP rate the measurement implies (0 without a count).
func (r Result) GFLOPs() float64 {
	switch {
	case r.FLOPs == 0:
		return 0
	case r.Unit == "GFLOP/s":
		return r.Value
	case strings.HasPrefix(r.Unit, "s/"):
		return r.FLOPs / r.Value / 1e9
	}
	return r.FLOPs * r.Value / 1e9
}

// countFLOPs runs step n times counting the FLOPs of its products and
// returns their mean per step (a step may vary: I-Norm networks measure
// their gradient alignment every 10th step).
func countFLOPs(step func(), n int) float64 {
	kernels.StartFLOPCount()
	for i := 0; i < n; i++ {
		step()
	}
	return float64(kernels.StopFLOPCount()) / float64(n)
}

// better reports whether a beats b (rates: higher; times: lower).
func (a Result) better(b Result) bool {
	if strings.HasPrefix(a.Unit, "s/") {
		return a.Value < b.Value
	}
	return a.Value > b.Value
}

// Line is one workload of `circuitry bench`: circuitry at its faster
// thread setting, the other setting, and PyTorch at its faster one.
type Line struct {
	Name      string  `json:"name"`
	Unit      string  `json:"unit"`
	Circuitry Result  `json:"circuitry"`
	Other     *Result `json:"circuitry_other_setting,omitempty"`
	PyTorch   *Result `json:"pytorch,omitempty"`
	// Speed is circuitry's speed over PyTorch's, both at their best (> 1:
	// circuitry faster).
	Speed float64 `json:"speed_vs_pytorch,omitempty"`
	// GFLOPs is circuitry's FLOP rate on the line (Result.GFLOPs), and
	// OfGEMM that rate over the same run's 1024³ GEMM rate at the same
	// worker count: how near the line comes to what the FMA units give a
	// large product.
	GFLOPs float64 `json:"gflop_per_s,omitempty"`
	OfGEMM float64 `json:"fraction_of_gemm_1024,omitempty"`
}

// gemmName is the workload whose rate the others are measured against.
const gemmName = "sgemm 1024x1024x1024"

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

// GEMM measures Sgemm GFLOP/s on m x k times k x n with at most workers
// goroutines (0: as many as pay).
func GEMM(m, n, k int, minDur time.Duration, workers int) Result {
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = 1
	}
	for i := range b {
		b[i] = 0.5
	}
	sec := timeIt(minDur, func() { kernels.SgemmN(workers, false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
	return Result{Name: fmt.Sprintf("sgemm %dx%dx%d", m, n, k), Value: 2 * float64(m*n*k) / sec / 1e9, Unit: "GFLOP/s", Threads: workers, FLOPs: 2 * float64(m*n*k)}
}

// Study1 measures training steps per second of a study-1 network
// (784-H-H-10, batch 32, the authors' plain SGD with projection and, for
// I-Norm, the local loss) with workers goroutines per product, in float32
// (PyTorch's CPU comparison).
func Study1(cond string, h int, minDur time.Duration, workers int) (Result, error) {
	step, err := study1Step(cond, h, tensor.Float32, workers)
	if err != nil {
		return Result{}, err
	}
	flops := countFLOPs(step, 10)
	sec := timeIt(minDur, step)
	return Result{Name: fmt.Sprintf("study-1 train step, %s 784-%d-%d-10, batch 32", cond, h, h), Value: 1 / sec, Unit: "steps/s", Threads: workers, FLOPs: flops}, nil
}

// Study1Protocol measures what a study-1 preset trains at: n networks side
// by side, one worker each (as `reproduce` runs them), their products in
// float16 autocast (the presets' precision), counted together in
// network-steps per second; each network measures its gradient alignment
// every 10th step, as the presets do.
func Study1Protocol(cond string, h, n int, minDur time.Duration) (Result, error) {
	steps := make([]func(), n)
	for i := range steps {
		step, err := study1Step(cond, h, tensor.Float16Autocast, 1)
		if err != nil {
			return Result{}, err
		}
		steps[i] = step
	}
	flops := countFLOPs(steps[0], 10)
	counts := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < minDur || counts[i] < 3 {
				steps[i]()
				counts[i]++
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	return Result{Name: fmt.Sprintf("study-1 preset protocol (float16 autocast), %d x %s 784-%d-%d-10 side by side", n, cond, h, h),
		Value: float64(total) / time.Since(start).Seconds(), Unit: "network-steps/s", Threads: n, Networks: n, FLOPs: flops}, nil
}

// Study1ProtocolAlone measures the same workload one network at a time,
// its products split over workers: what side by side is compared with.
func Study1ProtocolAlone(cond string, h, workers int, minDur time.Duration) (Result, error) {
	step, err := study1Step(cond, h, tensor.Float16Autocast, workers)
	if err != nil {
		return Result{}, err
	}
	flops := countFLOPs(step, 10)
	return Result{Name: fmt.Sprintf("study-1 preset protocol (float16 autocast), %s 784-%d-%d-10 one network at a time", cond, h, h),
		Value: 1 / timeIt(minDur, step), Unit: "network-steps/s", Threads: workers, Networks: 1, FLOPs: flops}, nil
}

// study1Step builds a study-1 network and returns one training step of it
// on a fixed batch.
func study1Step(cond string, h int, prec tensor.Precision, workers int) (func(), error) {
	rng := experiment.Stream(1, "bench")
	net, err := ei.NewNetwork(ei.Conditions[cond], 784, []int{h, h}, nil, 10, 0.01, rng)
	if err != nil {
		return nil, err
	}
	net.SetWorkers(workers)
	net.SetPrecision(prec)
	groups := net.Groups(0.005, 0.1, 0.001)
	params := nn.ParamsOf(groups)
	opt := nn.NewSGD(groups...)
	opt.Workers = workers // as a classifier run sets it (0: every core)
	if workers == 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	x := tensor.New(32, 784)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	labels := make([]uint8, 32)
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	ce := &nn.SoftmaxCrossEntropy{Smoothing: 0.1}
	measure := prec == tensor.Float16Autocast // the presets' align_every: 10
	s := 0
	return func() {
		nn.ZeroGradN(workers, params)
		net.MeasureAlignment = measure && s%10 == 0
		ce.Loss(net.Forward(x), labels)
		net.Backward(ce.Backward())
		net.LocalBackward()
		opt.Step() // projects Dale's-law weights too
		s++
	}, nil
}

// Study2 measures seconds per training step of a study-2 network
// (forward, MSE, BPTT, Adam; batch generation excluded, reported apart).
func Study2(task string, nRec, cells, batch, seqLen int, minDur time.Duration, workers int) ([]Result, error) {
	s := reactivation.Default()
	s.Task, s.Network.NRec, s.Network.Cells, s.Train.SeqLen = task, nRec, cells, seqLen
	if task == "headdir" {
		s.Network.Tau, s.Network.Sigma2Rec = 0.04, 1e-2
	}
	tk := s.NewTask(false, 0)
	cfg := rnn.Config{NIn: tk.NIn(), NRec: nRec, NOut: cells, NInit: cells, Alpha: s.Network.Dt / s.Network.Tau, Activation: "relu",
		SigmaRec: math.Sqrt(s.Network.Sigma2Rec), Noise: "uniform", Workers: workers}
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
	step := func() {
		nn.ZeroGrad(net.Params())
		mse.Set(net.Forward(x, c0, rng), tgt) // the loss summed only when logged, as in training
		net.Backward(mse.Backward())
		opt.Step()
	}
	flops := countFLOPs(step, 1)
	sec := timeIt(minDur, step)
	name := fmt.Sprintf("study-2 %s RNN %d units, %d cells, batch %d x %d steps", task, nRec, cells, batch, seqLen)
	return []Result{
		{Name: name + ": train step", Value: sec, Unit: "s/step", Threads: workers, FLOPs: flops},
		{Name: name + ": batch generation", Value: gen, Unit: "s/batch", Threads: workers},
	}, nil
}

//go:embed bench_torch.py
var benchTorchScript string

// torchSetting is a PyTorch thread setting: torch.set_num_threads(threads)
// with OpenMP at the same count, and OpenBLAS at blas threads.
type torchSetting struct{ threads, blas int }

// torchSettings are the PyTorch settings measured: everything on 1 thread,
// everything on every core and, with more than one core, what
// torch.set_num_threads(1) alone gives with Debian's torch — ATen on 1
// thread, its OpenBLAS GEMMs still on every core (OpenBLAS reads only
// OPENBLAS_NUM_THREADS). Until bench set OPENBLAS_NUM_THREADS, that mixed
// setting was reported as "1 thread".
func torchSettings() []torchSetting {
	n := runtime.GOMAXPROCS(0)
	if n == 1 {
		return []torchSetting{{1, 1}}
	}
	return []torchSetting{{1, 1}, {n, n}, {1, n}}
}

// torchBench runs the PyTorch equivalents at setting s, or returns nil when
// python3 or torch is missing.
func torchBench(minDur time.Duration, s torchSetting) map[string]Result {
	py, err := pyfind.Find("torch")
	if err != nil {
		return nil
	}
	cmd := exec.Command(py, "-c", benchTorchScript, fmt.Sprint(minDur.Seconds()), fmt.Sprint(s.threads))
	cmd.Env = append(os.Environ(), torchEnv(s)...)
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	return parseTorch(out, s)
}

// parseTorch reads bench_torch.py's JSON lines. Its first line, "setting",
// reports the thread counts the process ran with, which name the results
// (asked is what bench set, used if the line is missing).
func parseTorch(out []byte, asked torchSetting) map[string]Result {
	res := map[string]Result{}
	ran := asked
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			Result
			BLAS *int `json:"blas_threads"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		if r.Name == "setting" {
			ran.threads = r.Threads
			if ran.blas = r.Threads; r.BLAS != nil { // nil: torch is not on OpenBLAS
				ran.blas = *r.BLAS
			}
			continue
		}
		r.Result.Threads = ran.threads
		if ran.blas != ran.threads {
			r.Result.BLASThreads = ran.blas
		}
		res[r.Name] = r.Result
	}
	return res
}

// torchEnv pins the thread pools PyTorch's process starts with: OpenMP
// (ATen), OpenBLAS and MKL (whichever BLAS the torch build uses).
func torchEnv(s torchSetting) []string {
	return []string{
		fmt.Sprintf("OMP_NUM_THREADS=%d", s.threads),
		fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", s.blas),
		fmt.Sprintf("MKL_NUM_THREADS=%d", s.blas),
	}
}

// settings are circuitry's worker counts measured: 1 and every core.
func settings() []int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

// Run measures every workload of `circuitry bench` at 1 worker and at
// every core, and, when Debian's python3 has torch, the same workloads in
// PyTorch at each of torchSettings; each is compared at its fastest
// setting, which the line names. With rounds > 1 it measures everything
// that many times, PyTorch then circuitry in each round, and keeps each
// side's best per workload and setting: a VM whose speed drifts then
// cannot hand one side all its fast minutes. It prints a table to w (JSON
// lines with asJSON) as the last round measures each workload, and
// returns the lines.
func Run(w io.Writer, minDur time.Duration, asJSON bool, rounds int) ([]Line, error) {
	if rounds < 1 {
		return nil, fmt.Errorf("bench rounds %d: want at least 1", rounds)
	}
	torch := map[string]Result{}
	torch1 := map[string]Result{} // PyTorch truly on one thread (OpenBLAS too)
	gemm := map[int]float64{}     // the 1024³ GEMM's rate by worker count
	ws := workloads()
	best := make([][][]Result, len(ws))
	var lines []Line
	for round := 1; round <= rounds; round++ {
		if rounds > 1 && !asJSON {
			fmt.Fprintf(w, "(round %d of %d)\n", round, rounds)
		}
		for _, ts := range torchSettings() {
			for name, r := range torchBench(minDur, ts) {
				if b, ok := torch[name]; !ok || r.better(b) {
					torch[name] = r
				}
				if b, ok := torch1[name]; r.Threads == 1 && r.BLASThreads <= 1 && (!ok || r.better(b)) {
					torch1[name] = r
				}
			}
		}
		if round == rounds {
			noteTorch(w, torch, asJSON)
		}
		for i, measure := range ws {
			groups, err := measure(minDur)
			if err != nil {
				return nil, err
			}
			best[i] = keepBest(best[i], groups)
			if round < rounds {
				continue
			}
			for _, rs := range best[i] {
				if rs[0].Name == gemmName {
					for _, r := range rs {
						gemm[r.Threads] = r.Value
					}
				}
				l := compare(rs, torch)
				if l.GFLOPs = l.Circuitry.GFLOPs(); l.GFLOPs > 0 && gemm[l.Circuitry.Threads] > 0 {
					l.OfGEMM = l.GFLOPs / gemm[l.Circuitry.Threads]
				}
				lines = append(lines, l)
				printLine(w, l, asJSON)
				if strings.HasPrefix(rs[0].Name, "sgemm ") && !asJSON {
					noteScaling(w, rs, torch1)
				}
			}
		}
	}
	return lines, nil
}

// noteScaling prints a GEMM's rate at every worker count, and PyTorch's
// truly on one thread beside the 1-worker rate: a machine whose cores do
// not scale shows at 1024³, a product too small to pay for its second
// worker at the small shapes.
func noteScaling(w io.Writer, rs []Result, torch1 map[string]Result) {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s %.1f GFLOP/s", threadsName(r.Threads, "worker"), r.Value))
	}
	if len(rs) == 2 && rs[0].Value > 0 {
		parts = append(parts, fmt.Sprintf("scaling %.2fx", rs[1].Value/rs[0].Value))
	}
	if t, ok := torch1[rs[0].Name]; ok && t.Value > 0 && rs[0].Threads == 1 {
		parts = append(parts, fmt.Sprintf("PyTorch on 1 thread %.1f (1 worker: %.2fx)", t.Value, rs[0].Value/t.Value))
	}
	fmt.Fprintf(w, "(%s: %s)\n", rs[0].Name, strings.Join(parts, ", "))
}

// noteTorch says what the PyTorch comparison ran on, or that there is none.
func noteTorch(w io.Writer, torch map[string]Result, asJSON bool) {
	if asJSON {
		return
	}
	if len(torch) == 0 {
		_, err := pyfind.Find("torch")
		fmt.Fprintf(w, "(no PyTorch comparison: %v)\n", err)
	}
	// PyTorch's GEMMs are OpenBLAS's when Debian's libopenblas is installed
	// (else the reference BLAS, ~20x slower), and OPENBLAS_CORETYPE, which
	// some machines set, picks its kernel: an AVX2 one on an AVX-512 CPU
	// makes the comparison unfair to PyTorch. Say so on the output.
	if ct := os.Getenv("OPENBLAS_CORETYPE"); ct != "" && len(torch) > 0 {
		fmt.Fprintf(w, "(PyTorch's OpenBLAS runs its %s kernel: OPENBLAS_CORETYPE=%s is set)\n", ct, ct)
	}
	if g, ok := torch[gemmName]; ok && g.Value < slowBLAS {
		fmt.Fprintf(w, "(warning: PyTorch multiplies 1024³ at %.1f GFLOP/s, the reference BLAS's pace, not OpenBLAS's: every ratio below flatters circuitry; apt-get install libopenblas0-pthread)\n", g.Value)
	}
}

// slowBLAS (GFLOP/s) is a 1024³ product slower than any optimised BLAS on
// an AVX2 core (OpenBLAS: 50-70 per core) and typical of the reference
// BLAS (~6): PyTorch without OpenBLAS.
const slowBLAS = 20

// keepBest merges a round's results into the best so far, workload line by
// line and setting by setting (nil best: the first round).
func keepBest(best, round [][]Result) [][]Result {
	if best == nil {
		return round
	}
	for i, rs := range round {
		for j, r := range rs {
			if r.better(best[i][j]) {
				best[i][j] = r
			}
		}
	}
	return best
}

// workload measures one or more lines of the table: per line, one Result
// per circuitry setting.
type workload func(minDur time.Duration) ([][]Result, error)

// workloads are bench's lines, in order: the GEMM at three shapes, study-1
// steps, the presets' study-1 protocol, study-2 steps and batch generation.
func workloads() []workload {
	var ws []workload
	for _, s := range [][3]int{{32, 500, 784}, {200, 512, 512}, {1024, 1024, 1024}} {
		ws = append(ws, func(minDur time.Duration) ([][]Result, error) {
			var rs []Result
			for _, th := range settings() {
				rs = append(rs, GEMM(s[0], s[1], s[2], minDur, th))
			}
			return [][]Result{rs}, nil
		})
	}
	for _, c := range []struct {
		cond string
		h    int
	}{{"ei", 500}, {"ei_ln", 500}, {"inorm_full", 500}, {"inorm_full", 300}} {
		ws = append(ws, func(minDur time.Duration) ([][]Result, error) {
			var rs []Result
			for _, th := range settings() {
				r, err := Study1(c.cond, c.h, minDur, th)
				if err != nil {
					return nil, err
				}
				rs = append(rs, r)
			}
			return [][]Result{rs}, nil
		})
	}
	// The presets' workload: float16 autocast, networks side by side, and
	// one at a time. Circuitry-only lines: PyTorch's CPU autocast is
	// bfloat16, not the authors' GPU fp16.
	ws = append(ws, func(minDur time.Duration) ([][]Result, error) {
		r, err := Study1Protocol("inorm_full", 242, runtime.GOMAXPROCS(0), minDur)
		return [][]Result{{r}}, err
	}, func(minDur time.Duration) ([][]Result, error) {
		var alone []Result
		for _, th := range settings() {
			r, err := Study1ProtocolAlone("inorm_full", 242, th, minDur)
			if err != nil {
				return nil, err
			}
			alone = append(alone, r)
		}
		return [][]Result{alone}, nil
	})
	for _, c := range []struct {
		task        string
		nRec, cells int
	}{{"spatial", 512, 512}, {"headdir", 128, 512}} {
		ws = append(ws, func(minDur time.Duration) ([][]Result, error) {
			var steps, gens []Result
			for _, th := range settings() {
				rs, err := Study2(c.task, c.nRec, c.cells, 200, 100, minDur, th)
				if err != nil {
					return nil, err
				}
				steps, gens = append(steps, rs[0]), append(gens, rs[1])
			}
			return [][]Result{steps, gens}, nil
		})
	}
	return ws
}

// compare makes a workload's line from circuitry's measurements at each
// setting and PyTorch's best (by name).
func compare(rs []Result, torch map[string]Result) Line {
	best := rs[0]
	var other *Result
	for _, r := range rs[1:] {
		if r.better(best) {
			o := best
			best, other = r, &o
		} else {
			o := r
			other = &o
		}
	}
	l := Line{Name: best.Name, Unit: best.Unit, Circuitry: best, Other: other}
	if t, ok := torch[best.Name]; ok {
		l.PyTorch = &t
		l.Speed = best.Value / t.Value
		if strings.HasPrefix(best.Unit, "s/") {
			l.Speed = t.Value / best.Value
		}
	}
	return l
}

func threadsName(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// torchName names PyTorch's setting: "1 thread", "2 threads", or
// "1 thread, OpenBLAS 2 threads".
func torchName(r Result) string {
	name := threadsName(r.Threads, "thread")
	if r.BLASThreads > 0 {
		name += ", OpenBLAS " + threadsName(r.BLASThreads, "thread")
	}
	return name
}

func printLine(w io.Writer, l Line, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(l)
		fmt.Fprintln(w, string(b))
		return
	}
	setting := threadsName(l.Circuitry.Threads, "worker")
	if l.Circuitry.Networks > 1 { // Study1Protocol: networks side by side, one worker each
		setting = threadsName(l.Circuitry.Networks, "network") + ", 1 worker each"
	}
	line := fmt.Sprintf("%-72s %10.4g %-8s (%s)", l.Name, l.Circuitry.Value, l.Unit, setting)
	if l.OfGEMM > 0 && l.Unit != "GFLOP/s" {
		line += fmt.Sprintf("   [%.1f GFLOP/s, %.0f%% of the 1024³ GEMM]", l.GFLOPs, 100*l.OfGEMM)
	}
	if t := l.PyTorch; t != nil {
		line += fmt.Sprintf("   PyTorch %.4g (%s)   circuitry/PyTorch speed %.2fx", t.Value, torchName(*t), l.Speed)
	}
	fmt.Fprintln(w, line)
}
