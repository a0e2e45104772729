package ei

import (
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/tensor"
)

// inputProducts computes a layer's products of its input x with several
// weight matrices (x Wex^T, x Wix^T, x Bix^T), and keeps x and the weights
// as the products read them for the backward pass's products of the same
// step. At Float16Autocast, x is rounded once and the weights, stacked one
// below another, multiply it in a single product whose columns are the
// separate products' bit for bit (tensor.RoundedStack). A batch the dot
// path takes (a training batch) reads the float32 weights and rounds them
// as it goes (tensor.StackedProduct): no rounded stack is written, and a
// weight the backward pass reads is rounded then, once (a first layer's,
// which has no input gradient, never). At Float32 they are the separate
// products, reading x and the weights in place.
type inputProducts struct {
	prec    tensor.Precision
	x, xh   *tensor.Mat
	ws      []*tensor.Mat // as given to forward
	fused   bool          // the last forward rounded the weights as it read them
	blocks  []kernels.RowBlock
	stacked *tensor.Mat   // rounded ws, one below another (not fused)
	prod    *tensor.Mat   // x stacked^T
	views   []tensor.Mat  // rows of stacked per weight (not fused)
	wh      []*tensor.Mat // rounded ws[k], once weight(k) asked (fused)
	whValid []bool
}

// roundAsRead switches the fused product (tensor.StackedProduct) on; the
// test that proves it gives the rounded stack's bits turns it off.
var roundAsRead = true

// forward sets outs[k] = x ws[k]^T for each k at precision p (beta 0).
func (ip *inputProducts) forward(p tensor.Precision, workers int, x *tensor.Mat, ws, outs []*tensor.Mat) {
	ip.prec, ip.x, ip.ws = p, x, ws
	if p == tensor.Float32 {
		for k, w := range ws {
			tensor.MatMulN(workers, outs[k], x, false, w, true, 1, 0)
		}
		return
	}
	ip.xh = tensor.Rounded(p, &ip.xh, x)
	n := 0
	for _, w := range ws {
		n += w.Rows
	}
	prod := tensor.Ensure(&ip.prod, x.Rows, n)
	ip.fused = roundAsRead && tensor.StackedProduct(workers, prod, ip.xh, ws, &ip.blocks)
	if ip.fused {
		ip.whValid = ip.whValid[:0]
		for range ws {
			ip.whValid = append(ip.whValid, false)
		}
		for len(ip.wh) < len(ws) {
			ip.wh = append(ip.wh, nil)
		}
	} else {
		stacked := tensor.RoundedStack(&ip.stacked, ws...)
		tensor.MatMulN(workers, prod, ip.xh, false, stacked, true, 1, 0)
		ip.views = ip.views[:0]
	}
	c0 := 0
	for k, w := range ws {
		if !ip.fused {
			ip.views = append(ip.views, ip.stacked.RowRange(c0, c0+w.Rows))
		}
		part := prod.RowRange(0, prod.Rows) // a value: View would allocate per step
		part.Cols, part.Data = w.Rows, part.Data[c0:]
		tensor.HalfResult(outs[k], &part, 1, 0)
		c0 += w.Rows
	}
}

// input is x as the last forward's products read it.
func (ip *inputProducts) input() *tensor.Mat {
	if ip.prec == tensor.Float32 {
		return ip.x
	}
	return ip.xh
}

// weight is ws[k] as the last forward's products read it. The weights
// must not have changed since (they change only in the optimiser's step).
func (ip *inputProducts) weight(k int) *tensor.Mat {
	switch {
	case ip.prec == tensor.Float32:
		return ip.ws[k]
	case !ip.fused:
		return &ip.views[k]
	}
	if !ip.whValid[k] {
		ip.wh[k] = tensor.Rounded(ip.prec, &ip.wh[k], ip.ws[k])
		ip.whValid[k] = true
	}
	return ip.wh[k]
}
