package nn

import (
	"math"

	"github.com/circuitry-lab/circuitry/tensor"
)

// ReLU is y = max(x, 0).
type ReLU struct{ y, dx *tensor.Mat }

// Forward applies max(x, 0).
func (r *ReLU) Forward(x *tensor.Mat) *tensor.Mat {
	y := tensor.Ensure(&r.y, x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		xr, yr := x.Row(i), y.Row(i)
		for j, v := range xr {
			yr[j] = max(v, 0)
		}
	}
	return y
}

// Backward passes dy where the output was positive.
func (r *ReLU) Backward(dy *tensor.Mat) *tensor.Mat {
	dx := tensor.Ensure(&r.dx, dy.Rows, dy.Cols)
	for i := 0; i < dy.Rows; i++ {
		yr, gr, dr := r.y.Row(i), dy.Row(i), dx.Row(i)
		gr, dr = gr[:len(yr)], dr[:len(yr)]
		for j, v := range yr {
			// Branch-free: y = max(x, 0) is +0 or has positive bits (or is
			// NaN), so -bits >> 31 is all ones exactly where y > 0. Half the
			// units are active at random, which a branch mispredicts.
			mask := uint32(-int32(math.Float32bits(v)) >> 31)
			dr[j] = math.Float32frombits(math.Float32bits(gr[j]) & mask)
		}
	}
	return dx
}

// Params is empty.
func (r *ReLU) Params() []*Param { return nil }

// Tanh is y = tanh(x).
type Tanh struct{ y, dx *tensor.Mat }

// Forward applies tanh.
func (t *Tanh) Forward(x *tensor.Mat) *tensor.Mat {
	y := tensor.Ensure(&t.y, x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		xr, yr := x.Row(i), y.Row(i)
		for j, v := range xr {
			yr[j] = float32(math.Tanh(float64(v)))
		}
	}
	return y
}

// Backward multiplies dy by 1 - y^2.
func (t *Tanh) Backward(dy *tensor.Mat) *tensor.Mat {
	dx := tensor.Ensure(&t.dx, dy.Rows, dy.Cols)
	for i := 0; i < dy.Rows; i++ {
		yr, gr, dr := t.y.Row(i), dy.Row(i), dx.Row(i)
		for j, v := range yr {
			dr[j] = gr[j] * (1 - v*v)
		}
	}
	return dx
}

// Params is empty.
func (t *Tanh) Params() []*Param { return nil }
