package ei

import (
	"math"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// LayerAlignment is the study's two per-layer diagnostics on one batch
// (docs/science/inhibitory-normalization.md, "Diagnostics the study logs"), with z the
// layer's output before ReLU (I-Norm: its normalised output; E and E-I
// networks: the raw pre-activation, before any layer norm):
//
//   - Output: cos(ReLU(LN(z)), ReLU(z)), all batch x unit entries
//     flattened; LN is a true layer norm of z (no affine, eps 1e-5).
//   - Gradient: cos(d/dWex sum ReLU(LN(z)), d/dWex sum ReLU(N(z))),
//     flattened over Wex, where the first is exact layer-norm autograd and
//     the second the layer's own backward: the I-Norm variant (fa_center:
//     against exact mean centring of the error instead of LN), layer norm
//     for the LN+ networks (cosine 1), the straight-through backward of
//     ln_identity, none for LN- networks.
type LayerAlignment struct {
	Output   analysis.Float `json:"output_alignment"` // null when undefined (a layer silent or not finite)
	Gradient analysis.Float `json:"gradient_alignment"`
}

// Alignment measures every hidden layer's diagnostics on the last forward
// batch (the study logs those of the last training step). It needs only
// the forward pass's cached state.
func (n *Network) Alignment() []LayerAlignment {
	out := make([]LayerAlignment, len(n.hidden))
	for i, b := range n.hidden {
		out[i] = b.alignment(n.Cond)
	}
	return out
}

func (b *block) alignment(cond Condition) LayerAlignment {
	z := b.a
	rows, cols := z.Rows, z.Cols
	ref, act := tensor.New(rows, cols), tensor.New(rows, cols)
	ln, g := make([]float32, cols), make([]float32, cols)
	var dot, nl, nz float64
	for r := 0; r < rows; r++ {
		zr := z.Row(r)
		inv := nn.NormalizeRow(ln, zr, normEps)
		for j, v := range zr {
			a, c := math.Max(float64(ln[j]), 0), math.Max(float64(v), 0)
			dot, nl, nz = dot+a*c, nl+a*a, nz+c*c
		}
		// Reference: exact layer norm of the upstream ReLU mask at LN(z).
		mask(g, ln)
		if cond.Variant == FACenter && b.inorm != nil {
			mask(g, zr)
			centre(ref.Row(r), g)
		} else {
			nn.LayerNormBackwardRow(ref.Row(r), g, ln, inv)
		}
		b.actualRow(act.Row(r), g, zr, ln, inv, r)
		if b.inorm != nil { // both reach Wex through e = D z
			d := 1 / b.inorm.D()[r]
			for j := range cols {
				ref.Row(r)[j] *= d
				act.Row(r)[j] *= d
			}
		}
	}
	gradRef, gradAct := tensor.New(cols, b.x.Cols), tensor.New(cols, b.x.Cols)
	tensor.MatMul(gradRef, ref, true, b.x, false, 1, 0)
	tensor.MatMul(gradAct, act, true, b.x, false, 1, 0)
	return LayerAlignment{Output: analysis.Float(cosine64(dot, nl, nz)), Gradient: analysis.Float(cosine(gradRef.Data, gradAct.Data))}
}

// actualRow is the layer's own backward of sum ReLU(N(z)) for one sample:
// the upstream mask at the layer's output, through its normaliser.
func (b *block) actualRow(dst, g, z, ln []float32, inv float32, r int) {
	switch {
	case b.inorm != nil:
		mask(g, z)
		b.inorm.Variant.BackwardRow(dst, g, z, b.inorm.FA, b.inorm.StandardizedZ)
	case b.norm == "ln":
		mask(g, ln)
		nn.LayerNormBackwardRow(dst, g, ln, inv)
	case b.norm == "ln_identity":
		mask(dst, ln)
	default:
		mask(dst, z)
	}
}

// mask sets g to the ReLU derivative at x.
func mask(g, x []float32) {
	for j, v := range x {
		g[j] = 0
		if v > 0 {
			g[j] = 1
		}
	}
}

// centre writes g minus its mean.
func centre(dst, g []float32) {
	var s float64
	for _, v := range g {
		s += float64(v)
	}
	m := float32(s / float64(len(g)))
	for j, v := range g {
		dst[j] = v - m
	}
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for j, v := range a {
		dot += float64(v) * float64(b[j])
		na += float64(v) * float64(v)
		nb += float64(b[j]) * float64(b[j])
	}
	return cosine64(dot, na, nb)
}

func cosine64(dot, na, nb float64) float64 {
	if !(na > 0 && nb > 0) {
		return math.NaN()
	}
	return dot / math.Sqrt(na*nb)
}
