package ei

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// INorm is a hidden layer whose interneurons learn to normalise it. For a
// batch (sg = constant for back-propagation):
//
//	e = Wex x + b                          excitatory drive
//	i = Wei (Wix sg(x))                    subtractive inhibition
//	D = sqrt(mean_k (Bix_k . sg(x))^2 + 1e-5)  divisive inhibition, one per sample
//	z = (e - sg(i)) / sg(D)
//
// The task error reaches Wex, b and the layer below only through e. Wix
// and Bix learn only from the local loss
//
//	L_loc = lambda * mean_batch[ mean_k(o)^2 + (var_k(o) - 1)^2 ],  o = (sg(e) - i) / D,
//
// which asks the inhibition to give z zero mean and unit variance across
// units. Wei (rows sum to 1) and Bei = 1/ne are fixed after initialisation.
// Variant sets how errors pass the normalising operator (see Variant).
type INorm struct {
	Wex, B, Wix, Bix *nn.Param // Bix nil in the subtractive-only layer
	Wei              *nn.Param // fixed in the divisive layer, learned (local loss) in the subtractive-only one
	Variant          Variant
	// StandardizedZ makes full and decorrelate use ẑ instead of the
	// study's raw z (see Variant).
	StandardizedZ bool
	FA            []float32 // fa_center weights
	Lambda        float64
	SkipInputGrad bool // the input is data: Backward returns nil instead of dL/dx
	// Workers caps the goroutines of each of its products (0: as many as
	// pay); 1 when networks train side by side, one per core.
	Workers int
	// Precision of its products (tensor.Float16Autocast: the study's fp16
	// autocast); half holds the rounded operands.
	Precision tensor.Precision
	half      tensor.HalfScratch
	in        inputProducts // x Wex^T, x Wix^T, x Bix^T; x and the weights as read
	ws, outs  [3]*tensor.Mat
	// Subtractive makes the study's earlier subtractive-only layer: no
	// divisive pathway (D = 1), local loss lambda*mean_batch[mean_k(o)^2]
	// training Wix and Wei.
	Subtractive bool

	x, hI, r, z *tensor.Mat
	d           []float32 // D per sample
	dz, dx      *tensor.Mat
	dI, dR, dhI *tensor.Mat
	rounded     *tensor.Mat // an error operand as products read it
}

// NewINorm returns a d -> ne layer with ni interneurons: Wex, Wix, Wei as
// in the DANN layer, and Bix = diag(S) V^T from the thin SVD of
// W = Wex - Wei Wix, so that at initialisation D equals the RMS of the
// (zero-mean) pre-activation and z has mean 0 and variance 1 for any input.
// It needs d >= ne.
func NewINorm(name string, d, ne, ni int, v Variant, lambda float64, rng *rand.Rand) (*INorm, error) {
	if d < ne {
		return nil, fmt.Errorf("I-Norm layer %s: input width %d < %d excitatory units; the SVD initialisation of Bix needs d >= ne", name, d, ne)
	}
	l := &INorm{
		Wex: nn.NewParam(name+".Wex", ne, d), B: nn.NewParam(name+".b", 1, ne),
		Wix: nn.NewParam(name+".Wix", ni, d), Bix: nn.NewParam(name+".Bix", ne, d),
		Wei: nn.NewParam(name+".Wei", ne, ni), Variant: v, Lambda: lambda,
	}
	initDANN(l.Wex.Value, l.Wix.Value, l.Wei.Value, rng)
	w := tensor.New(ne, d)
	w.Copy(l.Wex.Value)
	tensor.MatMulN(l.Workers, w, l.Wei.Value, false, l.Wix.Value, false, -1, 1)
	wd := mat.NewDense(ne, d, nil)
	for k := 0; k < ne; k++ {
		for j := 0; j < d; j++ {
			wd.Set(k, j, float64(w.At(k, j)))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(wd, mat.SVDThin) {
		return nil, fmt.Errorf("I-Norm layer %s: SVD of the initial weights did not converge", name)
	}
	s := svd.Values(nil)
	var vm mat.Dense
	svd.VTo(&vm) // d x ne
	for k := 0; k < ne; k++ {
		for j := 0; j < d; j++ {
			l.Bix.Value.Set(k, j, float32(s[k]*vm.At(j, k)))
		}
	}
	if v == FACenter {
		l.FA = FAWeights(ne, rng)
	}
	markNonNegative(l.NonNegative())
	return l, nil
}

// NewSubtractiveINorm returns the subtractive-only layer: Wex, Wix, Wei
// initialised as in the DANN layer, no divisive pathway; Wix and Wei learn
// from the local loss lambda*mean_batch[mean_k(o)^2], o = sg(e) - i.
func NewSubtractiveINorm(name string, d, ne, ni int, v Variant, lambda float64, rng *rand.Rand) *INorm {
	l := &INorm{
		Wex: nn.NewParam(name+".Wex", ne, d), B: nn.NewParam(name+".b", 1, ne),
		Wix: nn.NewParam(name+".Wix", ni, d), Wei: nn.NewParam(name+".Wei", ne, ni),
		Variant: v, Lambda: lambda, Subtractive: true,
	}
	initDANN(l.Wex.Value, l.Wix.Value, l.Wei.Value, rng)
	if v == FACenter {
		l.FA = FAWeights(ne, rng)
	}
	markNonNegative(l.NonNegative())
	return l
}

// Forward computes z for the batch x.
func (l *INorm) Forward(x *tensor.Mat) *tensor.Mat {
	l.x = x
	ne, ni := l.Wex.Value.Rows, l.Wix.Value.Rows
	z := tensor.Ensure(&l.z, x.Rows, ne)
	hI := tensor.Ensure(&l.hI, x.Rows, ni)
	l.ws[0], l.ws[1], l.outs[0], l.outs[1] = l.Wex.Value, l.Wix.Value, z, hI
	n := 2
	if !l.Subtractive {
		l.ws[2], l.outs[2] = l.Bix.Value, tensor.Ensure(&l.r, x.Rows, ne)
		n = 3
	}
	l.in.forward(l.Precision, l.Workers, x, l.ws[:n], l.outs[:n])
	z.AddRow(l.B.Value.Data)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, z, hI, false, l.Wei.Value, true, -1, 1) // e - i
	if cap(l.d) < x.Rows {
		l.d = make([]float32, x.Rows)
	}
	l.d = l.d[:x.Rows]
	if l.Subtractive {
		for n := range l.d {
			l.d[n] = 1
		}
		return z
	}
	r := l.r
	for n := 0; n < x.Rows; n++ {
		var ss float64
		for _, v := range r.Row(n) {
			ss += float64(v) * float64(v)
		}
		dn := math.Sqrt(ss/float64(ne) + normEps)
		l.d[n] = float32(dn)
		inv := float32(1 / dn)
		zr := z.Row(n)
		for k := range zr {
			zr[k] *= inv
		}
	}
	return z
}

// D returns the divisive signal of each sample of the last batch.
func (l *INorm) D() []float32 { return l.d }

// Backward takes dL/dz at N's output, applies the backward variant and
// returns dL/dx through the excitatory path only; it accumulates dWex and
// db. The pre-normalisation error dL/d(e - i) is left in PreActGrad.
func (l *INorm) Backward(g *tensor.Mat) *tensor.Mat {
	de := tensor.Ensure(&l.dz, g.Rows, g.Cols)
	for n := 0; n < g.Rows; n++ {
		dr := de.Row(n)
		l.Variant.BackwardRow(dr, g.Row(n), l.z.Row(n), l.FA, l.StandardizedZ)
		inv := 1 / l.d[n]
		for k := range dr {
			dr[k] *= inv
		}
	}
	deh := tensor.Rounded(l.Precision, &l.rounded, de)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wex.Grad, deh, true, l.in.input(), false, 1, 1)
	de.SumRowsInto(l.B.Grad.Data)
	if l.SkipInputGrad {
		return nil
	}
	dx := tensor.Ensure(&l.dx, g.Rows, l.Wex.Value.Cols)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dx, deh, false, l.in.weight(0), false, 1, 0)
	return dx
}

// BackwardExactLN is the backward pass of the layer an exact-layer-norm
// network would have with the same weights: da = dL/d(e - i) (already
// through the layer-norm Jacobian) reaches Wex and b, and the input
// through both the excitatory and inhibitory paths, dx = (Wex - Wei Wix)^T da.
// It exists for the gradient-alignment measure.
func (l *INorm) BackwardExactLN(da *tensor.Mat) *tensor.Mat {
	dah := tensor.Rounded(l.Precision, &l.rounded, da)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wex.Grad, dah, true, l.in.input(), false, 1, 1)
	da.SumRowsInto(l.B.Grad.Data)
	if l.SkipInputGrad {
		return nil
	}
	dx := tensor.Ensure(&l.dx, da.Rows, l.Wex.Value.Cols)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dx, dah, false, l.in.weight(0), false, 1, 0)
	dhI := tensor.Ensure(&l.dhI, da.Rows, l.Wix.Value.Rows)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, dhI, dah, false, l.Wei.Value, false, 1, 0)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, dx, dhI, false, l.Wix.Value, false, -1, 1)
	return dx
}

// PreActGrad is dL/d(e - i) from the last Backward.
func (l *INorm) PreActGrad() *tensor.Mat { return l.dz }

// LocalBackward evaluates the local loss on the last forward batch and
// accumulates its gradients into Wix (through i) and Bix (through D).
// Since o equals z numerically, it reuses the forward pass.
//
// Per sample, with m = mean(o), v = var(o):
//
//	dL/do_k = (lambda/B) (2m + 4(v-1)(o_k - m)) / ne
//	dL/di_k = -dL/do_k / D
//	dL/dD   = -sum_k dL/do_k o_k / D,   dL/dr_k = dL/dD * r_k / (ne D)
func (l *INorm) LocalBackward() float64 {
	bsz, ne := l.z.Rows, l.z.Cols
	dI := tensor.Ensure(&l.dI, bsz, ne)
	dR := tensor.Ensure(&l.dR, bsz, ne)
	scale := l.Lambda / float64(bsz)
	var loss float64
	for n := 0; n < bsz; n++ {
		o := l.z.Row(n)
		var s, ss float64
		for _, v := range o {
			s += float64(v)
		}
		m := s / float64(ne)
		for _, v := range o {
			ss += (float64(v) - m) * (float64(v) - m)
		}
		vr := ss / float64(ne)
		di := dI.Row(n)
		if l.Subtractive { // L = mean(o)^2 only; o = e - i, D = 1
			loss += m * m
			for k := range o {
				di[k] = float32(-scale * 2 * m / float64(ne))
			}
			continue
		}
		loss += m*m + (vr-1)*(vr-1)
		kernels.LocalNormGrad(o, l.r.Row(n), di, dR.Row(n), m, vr, scale, float64(l.d[n]))
	}
	dhI := tensor.Ensure(&l.dhI, bsz, l.Wix.Value.Rows)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, dhI, dI, false, l.Wei.Value, false, 1, 0)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wix.Grad, tensor.Rounded(l.Precision, &l.rounded, dhI), true, l.in.input(), false, 1, 1)
	if l.Subtractive { // i = Wei hI: dWei = dI^T hI
		tensor.MatMulP(l.Precision, &l.half, l.Workers, l.Wei.Grad, dI, true, l.hI, false, 1, 1)
	} else {
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Bix.Grad, tensor.Rounded(l.Precision, &l.rounded, dR), true, l.in.input(), false, 1, 1)
	}
	return l.Lambda * loss / float64(bsz)
}

// Params returns the trainable parameters: Wex, b (task loss) and Wix,
// Bix (local loss) — Wix, Wei for the subtractive-only layer.
func (l *INorm) Params() []*nn.Param {
	if l.Subtractive {
		return []*nn.Param{l.Wex, l.B, l.Wix, l.Wei}
	}
	return []*nn.Param{l.Wex, l.B, l.Wix, l.Bix}
}

// NonNegative lists the sign-constrained trainable weights (Bix is free).
func (l *INorm) NonNegative() []*nn.Param {
	if l.Subtractive {
		return []*nn.Param{l.Wex, l.Wix, l.Wei}
	}
	return []*nn.Param{l.Wex, l.Wix}
}
