package ei

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/tensor"
)

// dannFP16Case is one layer and batch as testdata/dann_fp16.py reads it.
type dannFP16Case map[string]oracleParam

func asOracleParam(m *tensor.Mat) oracleParam {
	return oracleParam{Shape: []int{m.Rows, m.Cols}, Data: append([]float32(nil), m.Data...)}
}

// relDiff is the largest |got - want| over the tensor relative to its
// largest |want|: one half ulp there is 2^-11 to 2^-10.
func relDiff(got []float32, want []float64) float64 {
	var diff, scale float64
	for i, w := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-w))
		scale = math.Max(scale, math.Abs(w))
	}
	return diff / scale
}

// TestDANNFloat16MatchesAuthorsOrder compares a DANN layer under
// float16 autocast (784 -> 200 units, 20 interneurons, batch 32, the
// study's initialisation with Wix and Wei moved off it) with
// testdata/dann_fp16.py, a float64 PyTorch emulation of the authors'
// order: z, dx and every weight gradient within one half ulp at the
// tensor's largest entry (2^-10 of it; a float32 sum can round to the
// other side of a half boundary than the exact sum). The other order
// (InputsFirst) rounds the nearly cancelling activations and must miss z
// by at least 4 times that: the test tells the orders apart.
func TestDANNFloat16MatchesAuthorsOrder(t *testing.T) {
	torchPython(t)
	const batch, d, ne, ni = 32, 784, 200, 20
	rng := rand.New(rand.NewPCG(5, 17))
	x := tensor.New(batch, d)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()) // pixels in [0, 1)
	}
	dz := randInput(rng, batch, ne, false)
	for i := range dz.Data {
		dz.Data[i] *= 1e-3 // a cross-entropy error's size per sample
	}
	run := func(inputsFirst bool) *DANN {
		l := NewDANN("fc", d, ne, ni, rand.New(rand.NewPCG(3, 9)))
		for i := range l.Wix.Value.Data { // off the initialisation, as after training
			l.Wix.Value.Data[i] *= float32(1 + 0.05*rand.New(rand.NewPCG(uint64(i), 1)).NormFloat64())
		}
		for i := range l.B.Value.Data {
			l.B.Value.Data[i] = float32(0.01 * float64(i%7-3))
		}
		l.Precision, l.InputsFirst = tensor.Float16Autocast, inputsFirst
		l.Forward(x)
		l.Backward(dz)
		return l
	}
	ours, other := run(false), run(true)
	c := dannFP16Case{"x": asOracleParam(x), "wex": asOracleParam(ours.Wex.Value), "wix": asOracleParam(ours.Wix.Value),
		"wei": asOracleParam(ours.Wei.Value), "b": asOracleParam(ours.B.Value), "dz": asOracleParam(dz)}
	var want map[string][]float64
	if err := json.Unmarshal(runPython(t, "dann_fp16.py", c), &want); err != nil {
		t.Fatal(err)
	}
	get := func(l *DANN) map[string][]float32 {
		return map[string][]float32{"z": l.z.Data, "dx": l.dx.Data, "gwex": l.Wex.Grad.Data, "gwix": l.Wix.Grad.Data, "gwei": l.Wei.Grad.Data}
	}
	for name, g := range get(ours) {
		worst := relDiff(g, want[name])
		t.Logf("%-4s worst difference / largest entry: weights first %.3g, inputs first %.3g", name, worst, relDiff(get(other)[name], want[name]))
		if worst > 0x1p-10 {
			t.Errorf("%s: differs from the authors' order by %.3g of its largest entry", name, worst)
		}
	}
	if w := relDiff(other.z.Data, want["z"]); w < 4*0x1p-10 {
		t.Errorf("inputs-first z within %.3g of the authors' order: the test cannot tell the orders apart", w)
	}
}
