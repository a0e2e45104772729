package ei

import "github.com/circuitry-lab/circuitry/tensor"

// inputProducts computes a layer's products of its input x with several
// weight matrices (x Wex^T, x Wix^T, x Bix^T), and keeps x and the weights
// as the products read them for the backward pass's products of the same
// step. At Float16Autocast, x is rounded once and the weights, rounded
// into one stacked matrix, multiply it in a single product whose columns
// are the separate products' bit for bit (tensor.RoundedStack); at Float32
// they are the separate products, reading x and the weights in place.
type inputProducts struct {
	prec    tensor.Precision
	x, xh   *tensor.Mat
	ws      []*tensor.Mat // as given to forward
	stacked *tensor.Mat   // rounded ws, one below another
	prod    *tensor.Mat   // x stacked^T
	views   []tensor.Mat  // rows of stacked per weight
}

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
	stacked := tensor.RoundedStack(&ip.stacked, ws...)
	prod := tensor.Ensure(&ip.prod, x.Rows, stacked.Rows)
	tensor.MatMulN(workers, prod, ip.xh, false, stacked, true, 1, 0)
	ip.views = ip.views[:0]
	c0 := 0
	for k, w := range ws {
		ip.views = append(ip.views, stacked.RowRange(c0, c0+w.Rows))
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
	if ip.prec == tensor.Float32 {
		return ip.ws[k]
	}
	return &ip.views[k]
}
