package ei

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// sumReLU is sum ReLU(LN(z)) (ln) or sum ReLU(z) of the first hidden
// layer after a forward pass of x.
func sumReLU(n *Network, x *tensor.Mat, ln bool) float64 {
	n.Forward(x)
	z := n.hidden[0].a
	row := make([]float32, z.Cols)
	var s float64
	for r := 0; r < z.Rows; r++ {
		v := z.Row(r)
		if ln {
			nn.NormalizeRow(row, v, normEps)
			v = row
		}
		for _, e := range v {
			s += math.Max(float64(e), 0)
		}
	}
	return s
}

// fdGrad is the central-difference gradient of f over the first hidden
// layer's Wex.
func fdGrad(n *Network, f func() float64) []float64 {
	w := n.hidden[0].wex().Value.Data
	g := make([]float64, len(w))
	const h = 2e-3
	for j := range w {
		v := w[j]
		w[j] = v + h
		up := f()
		w[j] = v - h
		down := f()
		w[j] = v
		g[j] = (up - down) / (2 * h)
	}
	return g
}

func cos64(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d, na, nb = d+a[i]*b[i], na+a[i]*a[i], nb+b[i]*b[i]
	}
	return d / math.Sqrt(na*nb)
}

// The gradient alignment is the cosine of the two autograd gradients the
// study defines, checked by finite differences where the layer's own
// backward is the gradient of a function (E-I LN-: sum ReLU(z); I-Norm
// without GradNorm: the same with i and D fixed, which do not depend on
// Wex); LN+ networks' own backward is exact layer norm (cosine 1).
func TestGradientAlignmentMatchesFiniteDifferences(t *testing.T) {
	for _, name := range []string{"ei", "inorm", "ei_ln"} {
		rng := rand.New(rand.NewPCG(11, 12))
		n, err := NewNetwork(Conditions[name], 12, []int{10, 10}, nil, 3, 1, rng)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(6, 12)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		ref := fdGrad(n, func() float64 { return sumReLU(n, x, true) })
		act := ref
		if name != "ei_ln" {
			act = fdGrad(n, func() float64 { return sumReLU(n, x, false) })
		}
		want := cos64(ref, act)
		n.Forward(x)
		got := n.Alignment()[0]
		if math.Abs(float64(got.Gradient)-want) > 2e-3 {
			t.Errorf("%s: gradient alignment %.5f, finite differences %.5f", name, got.Gradient, want)
		}
		if name == "ei_ln" && math.Abs(float64(got.Gradient)-1) > 1e-6 {
			t.Errorf("ei_ln: %v, want 1", got.Gradient)
		}
		if !(got.Output > 0 && got.Output <= 1) {
			t.Errorf("%s: output alignment %v", name, got.Output)
		}
		t.Logf("%s: gradient %.4f (fd %.4f), output %.4f", name, float64(got.Gradient), want, float64(got.Output))
	}
}

// Output alignment is 1 when z is already layer-normalised and falls as
// the layer's output drifts from normalised (a constant offset).
func TestOutputAlignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, _ := NewNetwork(Conditions["ei"], 8, []int{16}, nil, 3, 1, rng)
	b := n.hidden[0]
	b.x = tensor.New(4, 8)
	b.a = tensor.New(4, 16)
	for r := 0; r < 4; r++ {
		row := make([]float32, 16)
		for j := range row {
			row[j] = float32(rng.NormFloat64())
		}
		nn.NormalizeRow(b.a.Row(r), row, normEps)
	}
	if got := b.alignment(n.Cond).Output; math.Abs(float64(got)-1) > 1e-5 {
		t.Fatalf("normalised z: %v", got)
	}
	for i := range b.a.Data {
		b.a.Data[i] += 2
	}
	if got := b.alignment(n.Cond).Output; got > 0.9 {
		t.Fatalf("offset z: %v, want well below 1", got)
	}
}

// Under Float16Autocast the logits move by about half precision's
// relative step (2^-11), not more, and not at all in float32.
func TestFloat16AutocastForward(t *testing.T) {
	for _, name := range []string{"ei", "inorm_full"} {
		rng := rand.New(rand.NewPCG(21, 22))
		n, _ := NewNetwork(Conditions[name], 40, []int{30, 30}, nil, 10, 1, rng)
		x := tensor.New(8, 40)
		for i := range x.Data {
			x.Data[i] = float32(rng.Float64())
		}
		want := n.Forward(x).Clone()
		n.SetPrecision(tensor.Float16Autocast)
		got := n.Forward(x)
		var d, s float64
		for i, v := range got.Data {
			d += math.Abs(float64(v - want.Data[i]))
			s += math.Abs(float64(want.Data[i]))
		}
		rel := d / s
		if !(rel > 1e-5 && rel < 1e-2) {
			t.Errorf("%s: relative change of the logits under fp16 %.2e, want ~1e-3", name, rel)
		}
		n.SetPrecision(tensor.Float32)
		if again := n.Forward(x); again.Data[0] != want.Data[0] {
			t.Errorf("%s: float32 after fp16 differs", name)
		}
	}
}

// A diverged network's statistics are NaN: they must still be written
// (as null) so the run is recorded as diverged instead of failing on
// "json: unsupported value: NaN".
func TestDivergedStatsMarshal(t *testing.T) {
	nan := analysis.Float(math.NaN())
	b, err := json.Marshal([]any{LayerStats{Mean: nan, Var: nan, Cosine: nan}, LayerAlignment{Output: nan, Gradient: nan}})
	if err != nil || string(b) != `[{"mean":null,"var":null,"cosine":null,"batches":0,"measured":0},{"output_alignment":null,"gradient_alignment":null}]` {
		t.Fatalf("%s %v", b, err)
	}
}
