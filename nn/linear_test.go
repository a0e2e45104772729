package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/tensor"
)

// SkipInputGrad leaves the parameter gradients exactly as they were and
// returns no input gradient.
func TestLinearSkipInputGrad(t *testing.T) {
	grads := func(skip bool) (*Linear, *tensor.Mat) {
		rng := rand.New(rand.NewPCG(3, 4))
		l := NewLinear("fc", 7, 5, true, rng)
		l.SkipInputGrad = skip
		x, dy := tensor.New(4, 7), tensor.New(4, 5)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		for i := range dy.Data {
			dy.Data[i] = float32(rng.NormFloat64())
		}
		l.Forward(x)
		return l, l.Backward(dy)
	}
	full, dx := grads(false)
	skip, none := grads(true)
	if dx == nil || none != nil {
		t.Fatalf("dx = %v without skip, %v with", dx, none)
	}
	for i, g := range full.W.Grad.Data {
		if skip.W.Grad.Data[i] != g {
			t.Fatalf("dW[%d] = %v with skip, %v without", i, skip.W.Grad.Data[i], g)
		}
	}
	for i, g := range full.B.Grad.Data {
		if skip.B.Grad.Data[i] != g {
			t.Fatalf("db[%d] differs", i)
		}
	}
}

// ReLU's branch-free backward passes dy exactly where the output is
// positive (denormals included) and gives +0 elsewhere.
func TestReLUBackwardMask(t *testing.T) {
	x := tensor.FromSlice(1, 6, []float32{-2, 0, float32(math.Copysign(0, -1)), 1e-40, 3, -1e-40})
	dy := tensor.FromSlice(1, 6, []float32{1, 2, 3, 4, 5, 6})
	r := &ReLU{}
	r.Forward(x)
	got := r.Backward(dy).Data
	want := []float32{0, 0, 0, 4, 5, 0}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("dx = %v, want %v", got, want)
		}
	}
}
