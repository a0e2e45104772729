package nn

import (
	"math"

	"github.com/circuitry-lab/circuitry/kernels"
)

// Group is a set of parameters sharing optimiser settings: learning rate,
// momentum (SGD) and L2 weight decay (added to the gradient, PyTorch-style).
type Group struct {
	Name        string
	Params      []*Param
	LR          float64
	Momentum    float64
	WeightDecay float64
	Nesterov    bool
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	Step()
	// State returns the optimiser's buffers (for checkpoints), one slice per
	// parameter in group order, each buffer kind in turn.
	State() [][]float32
	// Groups returns the parameter groups, so schedules can change rates.
	ParamGroups() []Group
	// Counter is the number of steps taken (Adam's t); SetCounter restores it.
	Counter() int
	SetCounter(int)
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// following PyTorch: buf = mu*buf + g; step along buf (or g + mu*buf).
type SGD struct {
	Groups []Group
	// Workers caps the goroutines of one parameter's momentum-free update
	// (0 or 1: the caller's); the bits do not depend on it.
	Workers int
	vel     [][]float32 // per parameter, allocated on first use of momentum
	steps   int
}

// NewSGD returns an SGD optimiser over groups.
func NewSGD(groups ...Group) *SGD {
	o := &SGD{Groups: groups}
	for _, g := range groups {
		for _, p := range g.Params {
			var v []float32
			if g.Momentum != 0 {
				v = make([]float32, len(p.Value.Data))
			}
			o.vel = append(o.vel, v)
		}
	}
	return o
}

// Step applies one update to every parameter.
func (o *SGD) Step() {
	idx := 0
	for _, g := range o.Groups {
		lr, mu, wd := float32(g.LR), float32(g.Momentum), float32(g.WeightDecay)
		for _, p := range g.Params {
			w, grad, v := p.Value.Data, p.Grad.Data, o.vel[idx]
			idx++
			if v == nil {
				sgdPlain(max(o.Workers, 1), w, grad, lr, wd, p.NonNegative)
				continue
			}
			grad = grad[:len(w)]
			v = v[:len(w)]
			for j := range w {
				d := grad[j] + wd*w[j]
				if o.steps == 0 {
					v[j] = d
				} else {
					v[j] = mu*v[j] + d
				}
				if g.Nesterov {
					d += mu * v[j]
				} else {
					d = v[j]
				}
				w[j] -= lr * d
			}
			if p.NonNegative {
				ClampNonNegative(w)
			}
		}
	}
	o.steps++
}

// ClampNonNegative sets negative entries to 0 (NaN and -0 stay): the
// projection onto w >= 0 that keeps Dale's law.
func ClampNonNegative(w []float32) {
	for j, x := range w {
		if x < 0 {
			w[j] = 0
		}
	}
}

// sgdPlain is the momentum-free update, w -= lr (g + wd w), projected
// onto w >= 0 when nonneg; without weight decay (the studies' SGD) it is
// one vectorised pass (kernels.SGDUpdateN) on up to workers goroutines.
func sgdPlain(workers int, w, grad []float32, lr, wd float32, nonneg bool) {
	grad = grad[:len(w)]
	if wd == 0 {
		kernels.SGDUpdateN(workers, w, grad, lr, nonneg)
		return
	}
	for j, g := range grad {
		w[j] -= lr * (g + wd*w[j])
	}
	if nonneg {
		ClampNonNegative(w)
	}
}

// State returns the momentum buffers (nil entries where momentum is off);
// they are live, so copying into them restores a checkpoint.
func (o *SGD) State() [][]float32 { return o.vel }

// ParamGroups returns the groups.
func (o *SGD) ParamGroups() []Group { return o.Groups }

// Counter is the number of steps taken.
func (o *SGD) Counter() int { return o.steps }

// SetCounter restores the step count.
func (o *SGD) SetCounter(n int) { o.steps = n }

// Adam follows PyTorch's torch.optim.Adam: bias-corrected moments, eps added
// after the square root, weight decay added to the gradient.
type Adam struct {
	Groups            []Group
	Beta1, Beta2, Eps float64
	T                 int
	// Workers caps the goroutines of one parameter's update (0 or 1: the
	// caller's alone); a network trained alone gives it the cores, one of
	// several trained side by side keeps 1. The bits do not depend on it.
	Workers int
	m, v    [][]float32
}

// NewAdam returns Adam with betas (0.9, 0.999) and eps 1e-8.
func NewAdam(groups ...Group) *Adam {
	o := &Adam{Groups: groups, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, g := range groups {
		for _, p := range g.Params {
			o.m = append(o.m, make([]float32, len(p.Value.Data)))
			o.v = append(o.v, make([]float32, len(p.Value.Data)))
		}
	}
	return o
}

// Step applies one update to every parameter, with every operation
// rounded to float32 in the textbook order (kernels.AdamUpdate; the same
// bits on every CPU, vectorised where it allows).
func (o *Adam) Step() {
	o.T++
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	c1 := 1 - math.Pow(o.Beta1, float64(o.T))
	c2 := 1 - math.Pow(o.Beta2, float64(o.T))
	idx := 0
	for _, g := range o.Groups {
		step := kernels.AdamStep{B1: b1, OneMinusB1: 1 - b1, B2: b2, OneMinusB2: 1 - b2,
			StepSize: float32(g.LR / c1), InvC2: float32(1 / math.Sqrt(c2)), Eps: float32(o.Eps), WeightDecay: float32(g.WeightDecay)}
		for _, p := range g.Params {
			w := p.Value.Data
			kernels.AdamUpdateN(o.Workers, w, p.Grad.Data, o.m[idx], o.v[idx], &step)
			idx++
			if p.NonNegative {
				ClampNonNegative(w)
			}
		}
	}
}

// State returns first moments then second moments, per parameter.
func (o *Adam) State() [][]float32 { return append(append([][]float32{}, o.m...), o.v...) }

// ParamGroups returns the groups.
func (o *Adam) ParamGroups() []Group { return o.Groups }

// Counter is t, the number of steps taken.
func (o *Adam) Counter() int { return o.T }

// SetCounter restores t.
func (o *Adam) SetCounter(n int) { o.T = n }

// ParamsOf lists the parameters of groups, in order.
func ParamsOf(groups []Group) []*Param {
	var ps []*Param
	for _, g := range groups {
		ps = append(ps, g.Params...)
	}
	return ps
}
