package nn

import (
	"math"

	"github.com/circuitry-lab/circuitry/tensor"
)

// LayerNorm normalises each row across its units: xhat = (x - mean) / s
// with s = sqrt(var + Eps) (population variance), then y = gain*xhat + bias
// when Affine. Eps defaults to 1e-5.
type LayerNorm struct {
	Eps        float64
	Gain, Bias *Param // nil unless affine
	xhat       *tensor.Mat
	invStd     []float32
	y, dx      *tensor.Mat
}

// NewLayerNorm returns a layer norm over n units; affine adds a learned gain
// (init 1) and bias (init 0).
func NewLayerNorm(name string, n int, affine bool) *LayerNorm {
	ln := &LayerNorm{Eps: 1e-5}
	if affine {
		ln.Gain = NewParam(name+".gain", 1, n)
		ln.Gain.Value.Fill(1)
		ln.Bias = NewParam(name+".bias", 1, n)
	}
	return ln
}

// Forward normalises every row.
func (ln *LayerNorm) Forward(x *tensor.Mat) *tensor.Mat {
	xhat := tensor.Ensure(&ln.xhat, x.Rows, x.Cols)
	y := tensor.Ensure(&ln.y, x.Rows, x.Cols)
	if cap(ln.invStd) < x.Rows {
		ln.invStd = make([]float32, x.Rows)
	}
	ln.invStd = ln.invStd[:x.Rows]
	for i := 0; i < x.Rows; i++ {
		ln.invStd[i] = NormalizeRow(xhat.Row(i), x.Row(i), ln.Eps)
		yr, hr := y.Row(i), xhat.Row(i)
		if ln.Gain == nil {
			copy(yr, hr)
			continue
		}
		g, b := ln.Gain.Value.Data, ln.Bias.Value.Data
		for j, h := range hr {
			yr[j] = g[j]*h + b[j]
		}
	}
	return y
}

// NormalizeRow writes (x - mean)/sqrt(var + eps) into dst and returns
// 1/sqrt(var + eps). Moments accumulate in float64.
func NormalizeRow(dst, x []float32, eps float64) float32 {
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	inv := 1 / math.Sqrt(ss/float64(len(x))+eps)
	for j, v := range x {
		dst[j] = float32((float64(v) - mean) * inv)
	}
	return float32(inv)
}

// Backward: with g = dy*gain, dx = (g - mean(g) - xhat*mean(g*xhat)) / s.
// Derivation: xhat_j = (x_j - mu)/s, d xhat_j/d x_k = (delta_jk - 1/n -
// xhat_j xhat_k / n)/s; contracting with g gives the formula.
func (ln *LayerNorm) Backward(dy *tensor.Mat) *tensor.Mat {
	dx := tensor.Ensure(&ln.dx, dy.Rows, dy.Cols)
	for i := 0; i < dy.Rows; i++ {
		gr, hr, dr := dy.Row(i), ln.xhat.Row(i), dx.Row(i)
		if ln.Gain != nil {
			gg, gb := ln.Gain.Grad.Data, ln.Bias.Grad.Data
			g := ln.Gain.Value.Data
			for j, v := range gr {
				gg[j] += v * hr[j]
				gb[j] += v
				dr[j] = v * g[j]
			}
			gr = dr
		}
		LayerNormBackwardRow(dr, gr, hr, ln.invStd[i])
	}
	return dx
}

// LayerNormBackwardRow applies the layer-norm Jacobian at xhat to the error
// g: dst = (g - mean(g) - xhat*mean(g*xhat)) * invStd. dst may alias g.
func LayerNormBackwardRow(dst, g, xhat []float32, invStd float32) {
	var sg, sgx float64
	for j, v := range g {
		sg += float64(v)
		sgx += float64(v) * float64(xhat[j])
	}
	n := float64(len(g))
	mg, mgx := float32(sg/n), float32(sgx/n)
	for j, v := range g {
		dst[j] = (v - mg - xhat[j]*mgx) * invStd
	}
}

// Params returns gain and bias when affine.
func (ln *LayerNorm) Params() []*Param {
	if ln.Gain == nil {
		return nil
	}
	return []*Param{ln.Gain, ln.Bias}
}

// CenterRows subtracts each row's mean: y = x - mean(x), the mean-only
// half of layer norm with no parameters. On images it removes an additive
// luminosity shift exactly where no pixel clips.
type CenterRows struct{ y, dx *tensor.Mat }

// Forward subtracts each row's mean (summed in float64).
func (c *CenterRows) Forward(x *tensor.Mat) *tensor.Mat {
	y := tensor.Ensure(&c.y, x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		centerRow(y.Row(i), x.Row(i))
	}
	return y
}

// Backward is the same map: the Jacobian I - 11ᵀ/n is symmetric.
func (c *CenterRows) Backward(dy *tensor.Mat) *tensor.Mat {
	dx := tensor.Ensure(&c.dx, dy.Rows, dy.Cols)
	for i := 0; i < dy.Rows; i++ {
		centerRow(dx.Row(i), dy.Row(i))
	}
	return dx
}

// Params is empty.
func (c *CenterRows) Params() []*Param { return nil }

func centerRow(dst, src []float32) {
	var s float64
	for _, v := range src {
		s += float64(v)
	}
	m := float32(s / float64(len(src)))
	for j, v := range src {
		dst[j] = v - m
	}
}
