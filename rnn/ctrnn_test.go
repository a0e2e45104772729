package rnn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/race"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

func randMat(rng *rand.Rand, r, c int) *tensor.Mat {
	m := tensor.New(r, c)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

// checkBPTT gradient-checks every parameter of net over T = 5 steps with
// the loss sum(y .* R) and the noise held fixed (a re-seeded stream).
func checkBPTT(t *testing.T, net Net, rng *rand.Rand) {
	t.Helper()
	for _, p := range net.Params() { // larger weights: a non-trivial, partly saturated regime
		for i := range p.Value.Data {
			p.Value.Data[i] *= 2
		}
	}
	c := net.Config()
	const T, B = 5, 3
	x, c0, r := randMat(rng, T*B, c.NIn), randMat(rng, B, c.NInit), randMat(rng, T*B, c.NOut)
	loss := func() float64 {
		y := net.Forward(x, c0, rand.New(rand.NewPCG(9, 9)))
		var s float64
		for i, v := range y.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	backward := func() {
		nn.ZeroGrad(net.Params())
		net.Forward(x, c0, rand.New(rand.NewPCG(9, 9)))
		net.Backward(r)
	}
	var targets []nn.GradTarget
	for _, p := range net.Params() {
		targets = append(targets, nn.GradTarget{Name: p.Name, Value: p.Value.Data, Grad: p.Grad.Data})
	}
	for _, rep := range nn.CheckGradients(loss, backward, targets, 1e-3, 100) {
		if rep.RelErr > 1e-2 {
			t.Errorf("%v", rep)
		}
	}
}

func TestBPTTGradients(t *testing.T) {
	for _, c := range []struct {
		act, noise string
	}{{"relu", "gaussian"}, {"tanh", "uniform"}} {
		t.Run(c.act, func(t *testing.T) {
			cfg := Config{NIn: 2, NRec: 7, NOut: 4, NInit: 3, Alpha: 0.3, Activation: c.act, SigmaRec: 0.05, Noise: c.noise, SigmaIn: 0.02}
			rng := rand.New(rand.NewPCG(1, 2))
			net, err := New(cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			checkBPTT(t, net, rng)
		})
	}
}

func TestGRUGradients(t *testing.T) {
	cfg := Config{NIn: 2, NRec: 6, NOut: 4, NInit: 3, Alpha: 0.2, SigmaRec: 0.05, Noise: "gaussian", SigmaIn: 0.02}
	rng := rand.New(rand.NewPCG(2, 3))
	net, err := NewGRU(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	checkBPTT(t, net, rng)
	const B = 3
	// Step with zero input equals a Forward step on a zero input without noise.
	h := randMat(rng, B, 6)
	next := tensor.New(B, 6)
	net.Step(next, h)
	quiet := *net
	quiet.Cfg.SigmaRec, quiet.Cfg.SigmaIn, quiet.Cfg.SigmaOut = 0, 0, 0
	quiet.t, quiet.b = 0, 0
	c0 := randMat(rng, B, 3)
	quiet.Forward(tensor.New(B, 2), c0, nil)
	h0 := tensor.New(B, 6)
	quiet.Encode(h0, c0)
	want := tensor.New(B, 6)
	quiet.Step(want, h0)
	for i, v := range quiet.Hidden().Data {
		if math.Abs(float64(v-want.Data[i])) > 1e-6 {
			t.Fatal("Step differs from a Forward step with zero input")
		}
	}
	if next.Data[0] == h.Data[0] {
		t.Fatal("Step did not move the state")
	}
}

// One continuous-time GRU step by hand (the study's Eqs. A.3-A.6): the
// reset gate multiplies h before U_h, and the leak alpha scales the move.
func TestGRUStepMatchesDefinition(t *testing.T) {
	cfg := Config{NIn: 1, NRec: 1, NOut: 1, NInit: 1, Alpha: 0.2, Noise: "gaussian"}
	net, _ := NewGRU(cfg, rand.New(rand.NewPCG(1, 1)))
	copy(net.E.Value.Data, []float32{0.5})
	copy(net.Wi.Value.Data, []float32{0.3, -0.2, 0.7}) // W_z, W_g, W_h
	copy(net.Uzg.Value.Data, []float32{0.4, 0.9})      // U_z, U_g
	copy(net.Uh.Value.Data, []float32{-1.5})
	copy(net.Wout.Value.Data, []float32{1})
	net.Forward(tensor.FromSlice(1, 1, []float32{2}), tensor.FromSlice(1, 1, []float32{1}), nil)
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	h0, x := 0.5, 2.0
	z := sig(0.3*x + 0.4*h0)
	g := sig(-0.2*x + 0.9*h0)
	n := math.Tanh(0.7*x - 1.5*(g*h0))
	want := h0 + 0.2*(1-z)*(n-h0)
	if got := float64(net.Hidden().Data[0]); math.Abs(got-want) > 1e-6 {
		t.Fatalf("h1 = %.7f, want %.7f", got, want)
	}
}

func TestForwardMatchesDefinition(t *testing.T) {
	// One step by hand: h1 = (1-a) E c0 + a relu(W_rec E c0 + W_in x).
	cfg := Config{NIn: 1, NRec: 2, NOut: 1, NInit: 1, Alpha: 0.5, Activation: "relu", Noise: "gaussian"}
	net, _ := New(cfg, rand.New(rand.NewPCG(1, 1)))
	copy(net.E.Value.Data, []float32{1, -1})
	copy(net.Win.Value.Data, []float32{2, 0})
	copy(net.Wrec.Value.Data, []float32{0, 1, 1, 0})
	copy(net.Wout.Value.Data, []float32{1, 1})
	y := net.Forward(tensor.FromSlice(1, 1, []float32{1}), tensor.FromSlice(1, 1, []float32{1}), nil)
	// h0 = (1, -1); u = (-1 + 2, 1) = (1, 1); h1 = 0.5*(1,-1) + 0.5*(1,1) = (1, 0); y = 1
	if h := net.Hidden(); h.At(0, 0) != 1 || h.At(0, 1) != 0 || y.At(0, 0) != 1 {
		t.Fatalf("h1 = %v, y = %v", net.Hidden().Data, y.Data)
	}
}

func TestNoiseStatistics(t *testing.T) {
	for _, kind := range []string{"gaussian", "uniform"} {
		x := make([]float32, 200000)
		fillNoise(x, 0.1, kind, rand.New(rand.NewPCG(3, 3)))
		var s, ss float64
		for _, v := range x {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
		mean := s / float64(len(x))
		sd := math.Sqrt(ss/float64(len(x)) - mean*mean)
		wantMean, wantSD := 0.0, 0.1
		if kind == "uniform" { // 0.1 * U[0, 1): mean 0.05, sd 0.1/sqrt(12)
			wantMean, wantSD = 0.05, 0.1/math.Sqrt(12)
		}
		if math.Abs(mean-wantMean) > 1e-3 || math.Abs(sd-wantSD) > 1e-3 {
			t.Errorf("%s: mean %.4f sd %.4f", kind, mean, sd)
		}
	}
}

func TestTimeLoopsDoNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates on its own")
	}
	cfg := Config{NIn: 2, NRec: 32, NOut: 16, NInit: 16, Alpha: 0.2, Activation: "relu", SigmaRec: 0.01, Noise: "gaussian"}
	rng := rand.New(rand.NewPCG(4, 4))
	net, _ := New(cfg, rng)
	x, c0 := randMat(rng, 20*8, 2), randMat(rng, 8, 16)
	dy := randMat(rng, 20*8, 16)
	net.Forward(x, c0, rng)
	net.Backward(dy)
	if a := testing.AllocsPerRun(5, func() { net.Forward(x, c0, rng); net.Backward(dy) }); a != 0 {
		t.Fatalf("forward+backward allocates %v times", a)
	}
	q := NewQuiescence(net, 8)
	visit := func(int, *tensor.Mat, *tensor.Mat) {}
	if a := testing.AllocsPerRun(5, func() { q.Run(c0, 50, 0.01, "gaussian", rng, visit) }); a != 0 {
		t.Fatalf("quiescence allocates %v times", a)
	}
}

func TestConfigErrors(t *testing.T) {
	base := Config{NIn: 2, NRec: 4, NOut: 4, NInit: 4, Alpha: 0.2, Activation: "relu", Noise: "gaussian"}
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Alpha = 2 }, "dt must not exceed tau"},
		{func(c *Config) { c.SigmaRec = -1 }, "noise sd"},
		{func(c *Config) { c.Activation = "gelu" }, "activation"},
		{func(c *Config) { c.Noise = "pink" }, "noise"},
		{func(c *Config) { c.NIn = 0 }, "n_in=0"},
	}
	for _, c := range cases {
		cfg := base
		c.mod(&cfg)
		if _, err := New(cfg, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

func TestDaleAndNormalizedGradients(t *testing.T) {
	for _, c := range []struct {
		name      string
		act       string
		inhib     int
		normalize string
		gain      float64
	}{{"dale", "relu", 2, "", 0}, {"dale_norm", "relu", 2, "layer", 0}, {"norm_tanh", "tanh", 0, "layer", 0}, {"dale_divisive", "relu", 2, "divisive", 0},
		{"dale_norm_gain", "relu", 2, "layer", 0.3}, {"dale_divisive_gain", "relu", 2, "divisive", 0.3}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{NIn: 2, NRec: 7, NOut: 4, NInit: 3, Alpha: 0.3, Activation: c.act, SigmaRec: 0.05, Noise: "gaussian",
				Inhibitory: c.inhib, Normalize: c.normalize, NormGain: c.gain}
			rng := rand.New(rand.NewPCG(4, 5))
			net, err := New(cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			checkBPTT(t, net, rng)
		})
	}
}

func TestDaleSignsAndBalance(t *testing.T) {
	const n, ni = 200, 40
	cfg := Config{NIn: 2, NRec: n, NOut: 5, NInit: 3, Alpha: 0.2, Activation: "relu", Noise: "gaussian", Inhibitory: ni}
	net, err := New(cfg, rand.New(rand.NewPCG(6, 7)))
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		w := net.Wrec.Value
		var rowSum float64
		for i := 0; i < n; i++ {
			for j, v := range w.Row(i) {
				if (j < n-ni && v < 0) || (j >= n-ni && v > 0) {
					t.Fatalf("%s: W_rec[%d,%d] = %v has the wrong sign", when, i, j, v)
				}
				rowSum += float64(v)
			}
			for j := n - ni; j < n; j++ {
				if o := net.Wout.Value.At(i%5, j); o != 0 {
					t.Fatalf("%s: inhibitory unit %d projects to the output (%v)", when, j, o)
				}
			}
		}
		if when == "init" && math.Abs(rowSum/n) > 0.05 {
			t.Errorf("mean row sum of W_rec = %.3f, want ~0 (balanced E and I)", rowSum/n)
		}
	}
	check("init")
	// An update that breaks every sign is undone by Project.
	for i := range net.Wrec.Value.Data {
		net.Wrec.Value.Data[i] = -net.Wrec.Value.Data[i]
	}
	for i := range net.Wout.Value.Data {
		net.Wout.Value.Data[i] = 1
	}
	net.Project()
	check("after Project")
	if _, err := New(Config{NIn: 1, NRec: 4, NOut: 1, NInit: 1, Alpha: 0.5, Activation: "relu", Noise: "gaussian", Inhibitory: 4}, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), "inhibitory = 4") {
		t.Errorf("all-inhibitory network: err = %v", err)
	}
}

func TestNormalizedStepMatchesForward(t *testing.T) {
	// With zero input and no noise, Forward's first step equals Step; the
	// layer-normalised drive has zero mean and unit variance across units,
	// the divisively normalised one unit root mean square.
	const B, N = 3, 9
	for _, kind := range []string{"layer", "divisive"} {
		cfg := Config{NIn: 2, NRec: N, NOut: 4, NInit: 3, Alpha: 0.4, Activation: "relu", Noise: "gaussian", Inhibitory: 2, Normalize: kind}
		rng := rand.New(rand.NewPCG(8, 9))
		net, _ := New(cfg, rng)
		c0 := randMat(rng, B, 3)
		net.Forward(tensor.New(B, 2), c0, nil)
		h0, want := tensor.New(B, N), tensor.New(B, N)
		net.Encode(h0, c0)
		net.Step(want, h0)
		for i, v := range net.Hidden().Data {
			if math.Abs(float64(v-want.Data[i])) > 1e-6 {
				t.Fatalf("%s: Step %v, Forward %v", kind, want.Data, net.Hidden().Data)
			}
		}
		for r := 0; r < B; r++ {
			var s, ss float64
			for _, v := range net.z.Row(r) {
				s += float64(v)
				ss += float64(v) * float64(v)
			}
			mean, second := s/N, ss/N
			if kind == "layer" && (math.Abs(mean) > 1e-5 || math.Abs(second-1) > 1e-2 /* eps 1e-5 against a small drive */) {
				t.Errorf("layer: row %d: mean %.2g, variance %.4f", r, mean, second)
			}
			if kind == "divisive" && math.Abs(second-1) > 1e-2 {
				t.Errorf("divisive: row %d: mean square %.4f", r, second)
			}
		}
	}
	if _, err := New(Config{NIn: 1, NRec: 4, NOut: 1, NInit: 1, Alpha: 0.5, Activation: "relu", Noise: "gaussian", Normalize: "batch"}, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), `normalize = "batch"`) {
		t.Errorf("unknown normalisation: err = %v", err)
	}
}

func TestLeakNoiseStepMatchesTwoPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	n := 1000
	prev, u := make([]float32, n), make([]float32, n)
	for i := range prev {
		prev[i], u[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	for _, kind := range []string{"gaussian", "uniform"} {
		fused, two := make([]float32, n), make([]float32, n)
		var draws []float64
		leakNoiseStep(fused, prev, u, 0.2, "relu", 0.1, kind, rand.New(rand.NewPCG(1, 1)), &draws)
		leakStep(two, prev, u, 0.2, "relu")
		fillNoise(two, 0.1, kind, rand.New(rand.NewPCG(1, 1)))
		for i := range fused {
			if math.Float32bits(fused[i]) != math.Float32bits(two[i]) {
				t.Fatalf("%s: unit %d: fused %v, two passes %v", kind, i, fused[i], two[i])
			}
		}
	}
}
