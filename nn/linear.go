package nn

import (
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/tensor"
)

// Linear is y = x W^T + b with W (out x in), as in PyTorch's nn.Linear.
type Linear struct {
	W, B *Param // B is nil without bias
	// SkipInputGrad: the input is data, so Backward returns nil instead
	// of computing dL/dx.
	SkipInputGrad bool
	// Workers caps the goroutines of each of its products (0: as many as
	// pay); 1 when networks train side by side, one per core.
	Workers int
	// Precision of its products (tensor.Float16Autocast: the study's fp16
	// autocast); half holds the rounded operands.
	Precision tensor.Precision
	half      tensor.HalfScratch
	x         *tensor.Mat
	y         *tensor.Mat
	dx        *tensor.Mat
}

// NewLinear returns a Linear layer initialised like PyTorch's default:
// W and b uniform in ±1/sqrt(in).
func NewLinear(name string, in, out int, bias bool, rng *rand.Rand) *Linear {
	l := &Linear{W: NewParam(name+".weight", out, in)}
	bound := 1 / math.Sqrt(float64(in))
	uniform(l.W.Value.Data, bound, rng)
	if bias {
		l.B = NewParam(name+".bias", 1, out)
		uniform(l.B.Value.Data, bound, rng)
	}
	return l
}

func uniform(x []float32, bound float64, rng *rand.Rand) {
	for i := range x {
		x[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// Forward computes y = x W^T + b.
func (l *Linear) Forward(x *tensor.Mat) *tensor.Mat {
	l.x = x
	y := tensor.Ensure(&l.y, x.Rows, l.W.Value.Rows)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, y, x, false, l.W.Value, true, 1, 0)
	if l.B != nil {
		y.AddRow(l.B.Value.Data)
	}
	return y
}

// Backward accumulates dW += dy^T x and db += sum_rows dy; returns dy W
// (nil with SkipInputGrad).
func (l *Linear) Backward(dy *tensor.Mat) *tensor.Mat {
	tensor.MatMulP(l.Precision, &l.half, l.Workers, l.W.Grad, dy, true, l.x, false, 1, 1)
	if l.B != nil {
		dy.SumRowsInto(l.B.Grad.Data)
	}
	if l.SkipInputGrad {
		return nil
	}
	dx := tensor.Ensure(&l.dx, dy.Rows, l.W.Value.Cols)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, dx, dy, false, l.W.Value, false, 1, 0)
	return dx
}

// Params returns W and, if present, b.
func (l *Linear) Params() []*Param {
	if l.B == nil {
		return []*Param{l.W}
	}
	return []*Param{l.W, l.B}
}
