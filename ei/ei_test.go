package ei

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/race"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

func randInput(rng *rand.Rand, r, c int, nonneg bool) *tensor.Mat {
	m := tensor.New(r, c)
	for i := range m.Data {
		v := rng.NormFloat64()
		if nonneg {
			v = math.Abs(v)
		}
		m.Data[i] = float32(v)
	}
	return m
}

// cycleLabels is n labels 0, 1, ..., 9, 0, 1, ...
func cycleLabels(n int) []uint8 {
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	return labels
}

func rowMoments(row []float32) (mean, variance float64) {
	var s, ss float64
	for _, v := range row {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	n := float64(len(row))
	return s / n, ss/n - (s/n)*(s/n)
}

func assertGrads(t *testing.T, reps []nn.GradReport) {
	t.Helper()
	for _, r := range reps {
		if r.Checked == 0 || r.RelErr > 1e-2 {
			t.Errorf("%v", r)
		}
	}
}

func TestDANNGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, ni := range []int{3, 0} {
		l := NewDANN("l", 12, 8, ni, rng)
		for i := range l.B.Value.Data {
			l.B.Value.Data[i] = float32(0.1 * rng.NormFloat64())
		}
		reps := nn.CheckLayer(l, randInput(rng, 5, 12, false), 1e-3, 300)
		if want := 3 + 2*min(ni, 1); len(reps) != want {
			t.Fatalf("ni=%d: %d targets", ni, len(reps))
		}
		assertGrads(t, reps)
	}
}

func TestDANNInitHasZeroMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct{ d, ne int }{{784, 100}, {50, 50}, {30, 200}} {
		l := NewDANN("l", c.d, c.ne, NumInhibitory(c.ne), rng)
		// Lognormal statistics of Wex: mean s, variance s^2.
		s := DANNScale(c.ne, c.d)
		m, v := rowMoments(l.Wex.Value.Data)
		if math.Abs(m-s)/s > 0.1 || math.Abs(math.Sqrt(v)-s)/s > 0.25 {
			t.Errorf("Wex mean %.4g sd %.4g, want %.4g", m, math.Sqrt(v), s)
		}
		for _, nonneg := range []bool{true, false} {
			z := l.Forward(randInput(rng, 16, c.d, nonneg))
			for i := 0; i < z.Rows; i++ {
				mean, vr := rowMoments(z.Row(i))
				if math.Abs(mean) > 1e-5*math.Sqrt(vr)+1e-6 {
					t.Fatalf("d=%d ne=%d: across-unit mean %g (sd %g)", c.d, c.ne, mean, math.Sqrt(vr))
				}
			}
		}
	}
}

func TestINormInitNormalises(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range []struct{ d, ne int }{{784, 60}, {40, 40}} {
		l, err := NewINorm("l", c.d, c.ne, NumInhibitory(c.ne), Full, 0.01, rng)
		if err != nil {
			t.Fatal(err)
		}
		for _, scale := range []float64{0.1, 1, 10} {
			x := randInput(rng, 8, c.d, true)
			for i := range x.Data {
				x.Data[i] *= float32(scale)
			}
			z := l.Forward(x)
			for i := 0; i < z.Rows; i++ {
				mean, vr := rowMoments(z.Row(i))
				if math.Abs(mean) > 1e-4 || math.Abs(vr-1) > 1e-3 {
					t.Fatalf("d=%d ne=%d scale %g: mean %g var %g", c.d, c.ne, scale, mean, vr)
				}
			}
		}
		if loss := l.LocalBackward(); loss > 1e-6 {
			t.Fatalf("local loss at init %g", loss)
		}
	}
	if _, err := NewINorm("h1", 10, 20, 2, Full, 0.01, rng); err == nil {
		t.Fatal("d < ne accepted")
	}
}

// With the inference-only variant the task gradient of Wex and b is the
// true gradient of the forward pass (i and D do not depend on them).
func TestINormTaskGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	l, _ := NewINorm("l", 16, 10, 2, None, 0.01, rng)
	x := randInput(rng, 6, 16, true)
	r := randInput(rng, 6, 10, false)
	loss := func() float64 {
		z := l.Forward(x)
		var s float64
		for i, v := range z.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	backward := func() {
		nn.ZeroGrad(l.Params())
		l.Forward(x)
		l.Backward(r)
	}
	assertGrads(t, nn.CheckGradients(loss, backward, []nn.GradTarget{
		{Name: "Wex", Value: l.Wex.Value.Data, Grad: l.Wex.Grad.Data},
		{Name: "b", Value: l.B.Value.Data, Grad: l.B.Grad.Data},
	}, 1e-3, 200))
}

func TestINormLocalLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	l, _ := NewINorm("l", 16, 10, 2, None, 0.5, rng)
	// Move away from the optimum so the local loss has a gradient.
	for i := range l.Bix.Value.Data {
		l.Bix.Value.Data[i] *= float32(1 + 0.5*rng.NormFloat64())
	}
	for i := range l.Wix.Value.Data {
		l.Wix.Value.Data[i] *= float32(1 + 0.5*rng.Float64())
	}
	for i := range l.B.Value.Data {
		l.B.Value.Data[i] = float32(rng.NormFloat64())
	}
	x := randInput(rng, 6, 16, true)
	loss := func() float64 {
		l.Forward(x)
		return l.LocalBackward()
	}
	backward := func() {
		nn.ZeroGrad(l.Params())
		l.Forward(x)
		l.LocalBackward()
	}
	assertGrads(t, nn.CheckGradients(loss, backward, []nn.GradTarget{
		{Name: "Wix", Value: l.Wix.Value.Data, Grad: l.Wix.Grad.Data},
		{Name: "Bix", Value: l.Bix.Value.Data, Grad: l.Bix.Grad.Data},
	}, 1e-3, 200))
}

// The full variant with ẑ (the standardized option) is the layer-norm
// Jacobian at z applied to the error: compare with finite differences of
// f(z) = g . LN(z). With the study's raw z it is not, unless z is already
// normalised.
func TestFullVariantIsLayerNormJacobian(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{5, 64} {
		z64 := make([]float64, n)
		g := make([]float32, n)
		z := make([]float32, n)
		for k := range z {
			z[k] = float32(2*rng.NormFloat64() + 0.5)
			z64[k] = float64(z[k])
			g[k] = float32(rng.NormFloat64())
		}
		got := make([]float32, n)
		Full.BackwardRow(got, g, z, nil, true)
		raw := make([]float32, n)
		Full.BackwardRow(raw, g, z, nil, false)
		if math.Abs(float64(raw[0]-got[0])) < 1e-3 {
			t.Fatalf("n=%d: raw-z full equals the layer-norm Jacobian at an unnormalised z", n)
		}
		f := func(v []float64) float64 {
			var s, ss float64
			for _, x := range v {
				s += x
			}
			m := s / float64(len(v))
			for _, x := range v {
				ss += (x - m) * (x - m)
			}
			sd := math.Sqrt(ss/float64(len(v)) + normEps)
			var out float64
			for k, x := range v {
				out += float64(g[k]) * (x - m) / sd
			}
			return out
		}
		for k := range z64 {
			const h = 1e-6
			z64[k] += h
			fp := f(z64)
			z64[k] -= 2 * h
			fm := f(z64)
			z64[k] += h
			num := (fp - fm) / (2 * h)
			if math.Abs(num-float64(got[k])) > 1e-4*(1+math.Abs(num)) {
				t.Fatalf("n=%d k=%d: full %g, finite difference %g", n, k, got[k], num)
			}
		}
	}
}

func TestVariantValues(t *testing.T) {
	g := []float32{1, 2, 3, 6}
	z := []float32{-1, 1, -1, 1} // mean 0, var 1
	w := []float32{0.5, 0.25, 0.25, 0}
	inv := 1 / math.Sqrt(1+normEps)
	// mean(g) = 3; sum(g z)/n = (-1+2-3+6)/4 = 1; w.g = 0.5+0.5+0.75 = 1.75
	cases := []struct {
		v    Variant
		std  bool // ẑ instead of the study's raw z
		want []float64
	}{
		{None, false, []float64{1, 2, 3, 6}},
		{Center, false, []float64{-2, -1, 0, 3}},
		{FACenter, false, []float64{-0.75, 0.25, 1.25, 4.25}},
		{Scale, false, []float64{inv, 2 * inv, 3 * inv, 6 * inv}},
		// Raw z: subtract z*sum(g z)/n = z.
		{Decorrelate, false, []float64{2, 1, 4, 5}},
		{Full, false, []float64{-1 * inv, -2 * inv, 1 * inv, 2 * inv}},
		// ẑ = z*inv, mean(g ẑ) = inv: subtract ẑ*inv = z*inv^2.
		{Decorrelate, true, []float64{1 + inv*inv, 2 - inv*inv, 3 + inv*inv, 6 - inv*inv}},
		{Full, true, []float64{(-2 + inv*inv) * inv, (-1 - inv*inv) * inv, inv * inv * inv, (3 - inv*inv) * inv}},
	}
	for _, c := range cases {
		got := make([]float32, 4)
		c.v.BackwardRow(got, g, z, w, c.std)
		for k := range got {
			if math.Abs(float64(got[k])-c.want[k]) > 1e-5 {
				t.Errorf("%v (standardized %v): got %v, want %v", c.v, c.std, got, c.want)
				break
			}
		}
	}
	// Where z is not normalised the raw-z variants follow the study's
	// formulas: z = (0, 2, 4, 6), mean 3, var 5, sum(g z)/n = 13: (g - mean g - 13 z) / s_z.
	z2 := []float32{0, 2, 4, 6}
	s2 := 1 / math.Sqrt(5+normEps)
	got := make([]float32, 4)
	Full.BackwardRow(got, g, z2, nil, false)
	for k, want := range []float64{(1 - 3 - 0) * s2, (2 - 3 - 26) * s2, -52 * s2, (6 - 3 - 78) * s2} {
		if math.Abs(float64(got[k])-want) > 1e-4 {
			t.Fatalf("raw full at unnormalised z: got %v, want %g at %d", got, want, k)
		}
	}
	if _, err := ParseVariant("ful"); err == nil {
		t.Fatal("unknown variant accepted")
	}
	fa := FAWeights(1000, rand.New(rand.NewPCG(1, 1)))
	var s float64
	for _, v := range fa {
		if v <= 0 {
			t.Fatal("non-positive lateral weight")
		}
		s += float64(v)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Fatalf("weights sum to %v", s)
	}
}

func TestNetworkAlignmentAndGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	x := randInput(rng, 32, 40, true)
	labels := make([]uint8, 32)
	for i := range labels {
		labels[i] = uint8(rng.IntN(10))
	}
	cases := []struct {
		cond     string
		minCos   float64
		maxCos   float64
		nGroups  int
		meanZero bool // the moments are of the raw pre-activation (before any LN): zero-mean at init where inhibition centres it
	}{
		{"ei_ln", 0.9999, 1.0001, 3, true},
		{"e_ln", 0.9999, 1.0001, 3, false},
		{"inorm_full", 0.99, 1.0001, 3, true},
		{"inorm", -1, 0.9, 3, true},
		{"ei", -1, 0.95, 3, true},
		{"mlp", -1, 1.0001, 1, false},
	}
	for _, c := range cases {
		net, err := NewNetwork(Conditions[c.cond], 40, []int{30, 20}, nil, 10, 0.01, rng)
		if err != nil {
			t.Fatal(err)
		}
		ce := &nn.SoftmaxCrossEntropy{Smoothing: 0.1}
		nn.ZeroGrad(net.Params())
		net.MeasureAlignment = true
		ce.Loss(net.Forward(x), labels)
		net.Backward(ce.Backward())
		st := net.Stats()
		for i, s := range st {
			if float64(s.Cosine) < c.minCos || float64(s.Cosine) > c.maxCos {
				t.Errorf("%s layer %d: cosine %.4f outside [%g, %g]", c.cond, i, s.Cosine, c.minCos, c.maxCos)
			}
			if c.meanZero && math.Abs(float64(s.Mean)) > 1e-4 {
				t.Errorf("%s layer %d: mean %g at init", c.cond, i, s.Mean)
			}
		}
		if gs := net.Groups(0.1, 0.2, 0.3); len(gs) != c.nGroups {
			t.Errorf("%s: %d groups", c.cond, len(gs))
		}
		// A step with a huge rate drives weights negative; Project restores Dale's law.
		opt := nn.NewSGD(net.Groups(100, 100, 100)...)
		opt.Step()
		net.Project()
		for _, p := range net.Params() {
			if p.Name[len(p.Name)-2:] == ".b" || p.Name[len(p.Name)-4:] == ".Bix" || c.cond == "mlp" {
				continue
			}
			for _, v := range p.Value.Data {
				if v < 0 {
					t.Fatalf("%s: %s has a negative weight after Project", c.cond, p.Name)
				}
			}
		}
	}
}

func TestSubtractiveINorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	l := NewSubtractiveINorm("l", 16, 10, 2, None, 0.5, rng)
	x := randInput(rng, 6, 16, true)
	// At init the subtraction removes the across-unit mean exactly.
	z := l.Forward(x)
	for i := 0; i < z.Rows; i++ {
		if m, _ := rowMoments(z.Row(i)); math.Abs(m) > 1e-5 {
			t.Fatalf("mean %g", m)
		}
	}
	for i := range l.Wix.Value.Data {
		l.Wix.Value.Data[i] *= float32(1 + 0.5*rng.Float64())
	}
	for i := range l.B.Value.Data {
		l.B.Value.Data[i] = float32(rng.NormFloat64())
	}
	loss := func() float64 { l.Forward(x); return l.LocalBackward() }
	backward := func() { nn.ZeroGrad(l.Params()); l.Forward(x); l.LocalBackward() }
	assertGrads(t, nn.CheckGradients(loss, backward, []nn.GradTarget{
		{Name: "Wix", Value: l.Wix.Value.Data, Grad: l.Wix.Grad.Data},
		{Name: "Wei", Value: l.Wei.Value.Data, Grad: l.Wei.Grad.Data},
	}, 1e-3, 200))
}

// A training step of every condition allocates nothing once its buffers
// exist (products small enough to run on one goroutine), in float32 and in
// the presets' float16 autocast.
func TestTrainingStepNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates on its own")
	}
	for _, prec := range []tensor.Precision{tensor.Float32, tensor.Float16Autocast} {
		for _, cond := range []string{"ei", "ei_ln", "e_ln", "inorm", "inorm_full", "inorm_sub", "mlp"} {
			if a := trainingStepAllocs(t, cond, prec); a != 0 {
				t.Errorf("%s, %v: %v allocations per training step", cond, prec, a)
			}
		}
	}
}

func trainingStepAllocs(t *testing.T, cond string, prec tensor.Precision) float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	net, err := NewNetwork(Conditions[cond], 20, []int{16, 16}, nil, 10, 0.01, rng)
	if err != nil {
		t.Fatal(err)
	}
	net.SetPrecision(prec)
	x := randInput(rng, 8, 20, true)
	labels := cycleLabels(8)
	loss := &nn.SoftmaxCrossEntropy{Smoothing: 0.1}
	opt := nn.NewSGD(net.Groups(0.01, 0.001, 0.001)...)
	params := net.Params()
	step := func() {
		nn.ZeroGrad(params)
		loss.Loss(net.Forward(x), labels)
		net.Backward(loss.Backward())
		if cond == "inorm" || cond == "inorm_full" || cond == "inorm_sub" {
			net.LocalBackward()
		}
		net.CorrectGradients()
		opt.Step()
	}
	step()
	return testing.AllocsPerRun(10, step)
}

// The optimiser's in-pass projection (nn.Param.NonNegative) gives the
// same weights, bit for bit, as an update followed by Project.
func TestInPassProjectionMatchesProject(t *testing.T) {
	train := func(inPass bool) *Network {
		rng := rand.New(rand.NewPCG(8, 8))
		net, _ := NewNetwork(Conditions["ei"], 20, []int{16, 16}, nil, 10, 0.01, rng)
		if !inPass {
			for _, p := range net.Params() {
				p.NonNegative = false
			}
		}
		x := randInput(rng, 8, 20, true)
		labels := []uint8{0, 1, 2, 3, 4, 5, 6, 7}
		loss := &nn.SoftmaxCrossEntropy{}
		opt := nn.NewSGD(net.Groups(0.5, 0.5, 0.5)...) // large steps: many weights cross zero
		for range 20 {
			nn.ZeroGrad(net.Params())
			loss.Loss(net.Forward(x), labels)
			net.Backward(loss.Backward())
			opt.Step()
			if !inPass {
				net.Project()
			}
		}
		return net
	}
	a, b := train(true), train(false)
	zeros := 0
	for i, p := range a.Params() {
		q := b.Params()[i]
		for j, v := range p.Value.Data {
			if math.Float32bits(v) != math.Float32bits(q.Value.Data[j]) {
				t.Fatalf("%s[%d]: in-pass %v, Project %v", p.Name, j, v, q.Value.Data[j])
			}
			if p.NonNegative && v == 0 {
				zeros++
			}
		}
	}
	if zeros == 0 {
		t.Fatal("no weight was projected: the test did not exercise the constraint")
	}
}
