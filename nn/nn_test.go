package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/race"
	"github.com/circuitry-lab/circuitry/tensor"
)

func randMat(rng *rand.Rand, r, c int, scale float64) *tensor.Mat {
	m := tensor.New(r, c)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64() * scale)
	}
	return m
}

func assertGrads(t *testing.T, reports []GradReport) {
	t.Helper()
	for _, r := range reports {
		if r.Checked == 0 || r.RelErr > 1e-2 {
			t.Errorf("%v", r)
		}
	}
}

func TestLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ln := NewLayerNorm("ln", 9, true)
	for i := range ln.Gain.Value.Data { // non-trivial affine parameters
		ln.Gain.Value.Data[i] = float32(1 + 0.3*rng.NormFloat64())
		ln.Bias.Value.Data[i] = float32(0.3 * rng.NormFloat64())
	}
	cases := []struct {
		name  string
		layer Layer
		in    int
	}{
		{"linear", NewLinear("fc", 7, 5, true, rng), 7},
		{"linear-nobias", NewLinear("fc", 6, 4, false, rng), 6},
		{"relu", &ReLU{}, 8},
		{"tanh", &Tanh{}, 8},
		{"layernorm", NewLayerNorm("ln", 9, false), 9},
		{"center", &CenterRows{}, 9},
		{"layernorm-affine", ln, 9},
		{"mlp", Sequential{NewLinear("a", 5, 6, true, rng), &ReLU{}, NewLayerNorm("n", 6, true), NewLinear("b", 6, 3, true, rng), &Tanh{}}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randMat(rng, 4, c.in, 1)
			assertGrads(t, CheckLayer(c.layer, x, 1e-3, 200))
		})
	}
}

func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, smooth := range []float64{0, 0.1} {
		logits := randMat(rng, 6, 10, 2)
		labels := []uint8{0, 3, 9, 2, 2, 7}
		ce := &SoftmaxCrossEntropy{Smoothing: smooth}
		g := tensor.New(6, 10)
		reps := CheckGradients(
			func() float64 { l, _ := ce.Loss(logits, labels); return l },
			func() { ce.Loss(logits, labels); g.Copy(ce.Backward()) },
			[]GradTarget{{"logits", logits.Data, g.Data}}, 1e-3, 100)
		assertGrads(t, reps)
	}
	pred, target := randMat(rng, 5, 4, 1), randMat(rng, 5, 4, 1)
	mse := &MSE{}
	g := tensor.New(5, 4)
	assertGrads(t, CheckGradients(
		func() float64 { return mse.Loss(pred, target) },
		func() { mse.Loss(pred, target); g.Copy(mse.Backward()) },
		[]GradTarget{{"pred", pred.Data, g.Data}}, 1e-3, 100))
}

// A gradient checker that cannot fail is worthless: a wrong backward must trip it.
func TestGradCheckCatchesWrongBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := randMat(rng, 3, 4, 1)
	reps := CheckLayer(&wrongTanh{}, x, 1e-3, 100)
	if reps[0].RelErr < 0.1 {
		t.Fatalf("checker missed a wrong gradient: %v", reps[0])
	}
}

type wrongTanh struct{ Tanh }

func (w *wrongTanh) Backward(dy *tensor.Mat) *tensor.Mat { return dy } // ignores 1 - y^2

func TestCrossEntropyValue(t *testing.T) {
	// Uniform logits: loss = ln(K) for any smoothing; smoothing 0.1 with a
	// confident correct logit: hand-computed value.
	ce := &SoftmaxCrossEntropy{Smoothing: 0.1}
	l, correct := ce.Loss(tensor.New(2, 10), []uint8{0, 4})
	if math.Abs(l-math.Log(10)) > 1e-6 || correct != 1 { // argmax of ties is class 0
		t.Fatalf("uniform loss %v correct %d", l, correct)
	}
	z := tensor.FromSlice(1, 3, []float32{2, 0, 0})
	ce3 := &SoftmaxCrossEntropy{Smoothing: 0.3}
	l, correct = ce3.Loss(z, []uint8{0})
	lse := math.Log(math.Exp(2) + 2)
	want := -(0.7+0.1)*(2-lse) - 0.1*(0-lse)*2
	if math.Abs(l-want) > 1e-6 || correct != 1 {
		t.Fatalf("loss %v want %v", l, want)
	}
}

func TestLayerNormOutputMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := randMat(rng, 3, 50, 5)
	for i := range x.Data {
		x.Data[i] += 7
	}
	y := NewLayerNorm("ln", 50, false).Forward(x)
	for i := 0; i < 3; i++ {
		var s, ss float64
		for _, v := range y.Row(i) {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
		mean, vr := s/50, ss/50-(s/50)*(s/50)
		if math.Abs(mean) > 1e-5 || math.Abs(vr-1) > 1e-3 {
			t.Fatalf("row %d mean %v var %v", i, mean, vr)
		}
	}
}

func TestCenterRowsValues(t *testing.T) {
	x := tensor.FromSlice(2, 4, []float32{1, 2, 3, 6, 0.5, 0.5, 0.5, 0.5})
	want := []float32{-2, -1, 0, 3, 0, 0, 0, 0}
	y := (&CenterRows{}).Forward(x)
	for i, v := range y.Data {
		if v != want[i] {
			t.Fatalf("centred %v, want %v", y.Data, want)
		}
	}
}

func TestOptimizerSteps(t *testing.T) {
	newP := func() *Param {
		p := NewParam("w", 1, 2)
		copy(p.Value.Data, []float32{1, -2})
		copy(p.Grad.Data, []float32{0.5, -1})
		return p
	}
	cases := []struct {
		name  string
		opt   func(p *Param) Optimizer
		steps int
		want  []float32
	}{
		// w - lr*(g + wd*w)
		{"sgd", func(p *Param) Optimizer { return NewSGD(Group{Params: []*Param{p}, LR: 0.1, WeightDecay: 0.5}) }, 1, []float32{1 - 0.1*(0.5+0.5), -2 - 0.1*(-1-1)}},
		// momentum 0.9, constant grad: buf = g, then 1.9 g; total 2.9 g
		{"momentum", func(p *Param) Optimizer { return NewSGD(Group{Params: []*Param{p}, LR: 0.1, Momentum: 0.9}) }, 2, []float32{1 - 0.1*2.9*0.5, -2 + 0.1*2.9}},
		// nesterov: steps g + mu*buf: (1.9 g) then (g + 0.9*1.9 g) = 2.71 g; total 4.61 g
		{"nesterov", func(p *Param) Optimizer {
			return NewSGD(Group{Params: []*Param{p}, LR: 0.1, Momentum: 0.9, Nesterov: true})
		}, 2, []float32{1 - 0.1*4.61*0.5, -2 + 0.1*4.61}},
		// Adam with a constant gradient moves lr*sign(g) per step (up to eps).
		{"adam", func(p *Param) Optimizer { return NewAdam(Group{Params: []*Param{p}, LR: 0.01}) }, 3, []float32{1 - 0.03, -2 + 0.03}},
	}
	for _, c := range cases {
		p := newP()
		o := c.opt(p)
		for range c.steps {
			o.Step()
		}
		for j, w := range c.want {
			if math.Abs(float64(p.Value.Data[j]-w)) > 1e-5 {
				t.Errorf("%s: w = %v, want %v", c.name, p.Value.Data, c.want)
			}
		}
	}
}

func TestTrainingReducesLoss(t *testing.T) {
	// A 2-layer net must fit a small fixed random classification problem.
	rng := rand.New(rand.NewPCG(5, 5))
	x := randMat(rng, 64, 10, 1)
	labels := make([]uint8, 64)
	for i := range labels {
		labels[i] = uint8(rng.IntN(3))
	}
	net := Sequential{NewLinear("a", 10, 32, true, rng), &ReLU{}, NewLinear("b", 32, 3, true, rng)}
	opt := NewAdam(Group{Params: net.Params(), LR: 0.01})
	ce := &SoftmaxCrossEntropy{}
	first := 0.0
	var last float64
	var correct int
	for step := range 300 {
		ZeroGrad(net.Params())
		last, correct = ce.Loss(net.Forward(x), labels)
		if step == 0 {
			first = last
		}
		net.Backward(ce.Backward())
		opt.Step()
	}
	if last > first/5 || correct < 60 {
		t.Fatalf("loss %v -> %v, %d/64 correct", first, last, correct)
	}
}

func TestLinearNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates on its own")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	net := Sequential{NewLinear("a", 20, 30, true, rng), &ReLU{}, NewLayerNorm("n", 30, true), NewLinear("b", 30, 5, true, rng)}
	x := randMat(rng, 8, 20, 1)
	ce := &SoftmaxCrossEntropy{Smoothing: 0.1}
	labels := make([]uint8, 8)
	params := net.Params()
	opt := NewSGD(Group{Params: params, LR: 0.01, Momentum: 0.9})
	step := func() {
		ZeroGrad(params)
		ce.Loss(net.Forward(x), labels)
		net.Backward(ce.Backward())
		opt.Step()
	}
	step()
	if a := testing.AllocsPerRun(10, step); a != 0 {
		t.Fatalf("training step allocates %v times", a)
	}
}

// MSE's Finite says what Value would: false exactly when the loss is not
// finite (a NaN or an infinity anywhere, or a difference that overflows
// float32), so a training loop can skip summing the loss between records.
func TestMSEFiniteIsTheLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, c := range []struct {
		name string
		p, q float32
	}{{"ordinary", 0.5, -0.25}, {"NaN", float32(math.NaN()), 0}, {"infinity", float32(math.Inf(-1)), 1}, {"overflowing difference", 3e38, -3e38}} {
		for _, at := range []int{0, 13, 39} {
			pred, target := randMat(rng, 4, 10, 1), randMat(rng, 4, 10, 1)
			pred.Data[at], target.Data[at] = c.p, c.q
			mse := &MSE{}
			mse.Set(pred, target)
			mse.Backward()
			v := mse.Value()
			if want := !math.IsNaN(v) && !math.IsInf(v, 0); mse.Finite() != want {
				t.Errorf("%s at %d: Finite %v, loss %v", c.name, at, mse.Finite(), v)
			}
			if l := (&MSE{}).Loss(pred, target); math.Float64bits(l) != math.Float64bits(v) && !math.IsNaN(v) {
				t.Errorf("%s at %d: Value %v, Loss %v", c.name, at, v, l)
			}
		}
	}
}
