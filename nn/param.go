package nn

import (
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Param is a trainable tensor and its gradient, same shape.
type Param struct {
	Name  string
	Value *tensor.Mat
	Grad  *tensor.Mat
	// NonNegative makes the optimisers project the value onto w >= 0 in
	// the same pass as the update (projected gradient descent: Dale's-law
	// weights), instead of a second pass over the weights.
	NonNegative bool
}

// NewParam allocates a zeroed r x c parameter.
func NewParam(name string, r, c int) *Param {
	return &Param{Name: name, Value: tensor.New(r, c), Grad: tensor.New(r, c)}
}

// Layer is one step of a feed-forward network.
type Layer interface {
	Forward(x *tensor.Mat) *tensor.Mat
	Backward(dy *tensor.Mat) *tensor.Mat
	Params() []*Param
}

// ZeroGrad clears the gradients of ps.
func ZeroGrad(ps []*Param) {
	for _, p := range ps {
		clear(p.Grad.Data)
	}
}

// ZeroGradN is ZeroGrad with each gradient cleared on up to workers
// goroutines (0: up to GOMAXPROCS; small ones on the caller's).
func ZeroGradN(workers int, ps []*Param) {
	for _, p := range ps {
		kernels.ClearN(workers, p.Grad.Data)
	}
}

// Sequential chains layers.
type Sequential []Layer

// Forward runs every layer in order.
func (s Sequential) Forward(x *tensor.Mat) *tensor.Mat {
	for _, l := range s {
		x = l.Forward(x)
	}
	return x
}

// Backward runs every layer's Backward in reverse order, stopping at a
// nil gradient.
func (s Sequential) Backward(dy *tensor.Mat) *tensor.Mat {
	for i := len(s) - 1; i >= 0 && dy != nil; i-- {
		// A nil gradient means nothing below needs one (a Linear with
		// SkipInputGrad over parameter-free layers such as CenterRows).
		dy = s[i].Backward(dy)
	}
	return dy
}

// Params lists every layer's parameters, in layer order.
func (s Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range s {
		ps = append(ps, l.Params()...)
	}
	return ps
}
