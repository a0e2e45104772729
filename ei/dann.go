package ei

import (
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// DANN is a Dale's-law dense layer:
//
//	z = Wex x - Wei (Wix x) + b,   Wex, Wix, Wei >= 0, b free.
//
// With ni = 0 it is the E-only layer z = Wex x + b. Ordinary
// back-propagation reaches every weight through every path.
type DANN struct {
	Wex, Wix, Wei, B *nn.Param // Wix, Wei nil when ni = 0
	// SkipInputGrad: the input is data, so Backward skips dL/dx (and
	// returns nil), a quarter of a first layer's backward products.
	SkipInputGrad bool
	// Workers caps the goroutines of each of its products (0: as many as
	// pay); 1 when networks train side by side, one per core.
	Workers int
	// Precision of its products (tensor.Float16Autocast: the study's fp16
	// autocast); half holds the rounded operands.
	Precision tensor.Precision
	half      tensor.HalfScratch
	in        inputProducts // x Wex^T, x Wix^T; x and the weights as read
	ws, outs  [2]*tensor.Mat
	x, hI, z  *tensor.Mat
	dhI, dx   *tensor.Mat
	dzh, dhIh *tensor.Mat // dz, dhI as products read them
}

// NewDANN returns a d -> ne layer with ni inhibitory units and the DANN
// initialisation (b = 0). name prefixes the parameter names.
func NewDANN(name string, d, ne, ni int, rng *rand.Rand) *DANN {
	l := &DANN{Wex: nn.NewParam(name+".Wex", ne, d), B: nn.NewParam(name+".b", 1, ne)}
	if ni > 0 {
		l.Wix = nn.NewParam(name+".Wix", ni, d)
		l.Wei = nn.NewParam(name+".Wei", ne, ni)
		initDANN(l.Wex.Value, l.Wix.Value, l.Wei.Value, rng)
	} else {
		initDANN(l.Wex.Value, nil, nil, rng)
	}
	markNonNegative(l.NonNegative())
	return l
}

// Forward computes z = x Wex^T - (x Wix^T) Wei^T + b.
func (l *DANN) Forward(x *tensor.Mat) *tensor.Mat {
	l.x = x
	z := tensor.Ensure(&l.z, x.Rows, l.Wex.Value.Rows)
	l.ws[0], l.outs[0] = l.Wex.Value, z
	n := 1
	if l.Wix != nil {
		l.ws[1], l.outs[1] = l.Wix.Value, tensor.Ensure(&l.hI, x.Rows, l.Wix.Value.Rows)
		n = 2
	}
	l.in.forward(l.Precision, l.Workers, x, l.ws[:n], l.outs[:n])
	if l.Wix != nil {
		tensor.MatMulP(l.Precision, &l.half, l.Workers, z, l.hI, false, l.Wei.Value, true, -1, 1)
	}
	z.AddRow(l.B.Value.Data)
	return z
}

// Backward accumulates dWex = dz^T x, db = sum dz, dWei = -dz^T hI,
// dWix = dhI^T x with dhI = -dz Wei, and returns dx = dz Wex + dhI Wix.
func (l *DANN) Backward(dz *tensor.Mat) *tensor.Mat {
	dzh := tensor.Rounded(l.Precision, &l.dzh, dz)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wex.Grad, dzh, true, l.in.input(), false, 1, 1)
	dz.SumRowsInto(l.B.Grad.Data)
	var dx *tensor.Mat
	if !l.SkipInputGrad {
		dx = tensor.Ensure(&l.dx, dz.Rows, l.Wex.Value.Cols)
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dx, dzh, false, l.in.weight(0), false, 1, 0)
	}
	if l.Wix != nil {
		tensor.MatMulP(l.Precision, &l.half, l.Workers, l.Wei.Grad, dzh, true, l.hI, false, -1, 1)
		dhI := tensor.Ensure(&l.dhI, dz.Rows, l.Wix.Value.Rows)
		tensor.MatMulP(l.Precision, &l.half, l.Workers, dhI, dzh, false, l.Wei.Value, false, -1, 0)
		dhIh := tensor.Rounded(l.Precision, &l.dhIh, dhI)
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wix.Grad, dhIh, true, l.in.input(), false, 1, 1)
		if dx != nil {
			tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dx, dhIh, false, l.in.weight(1), false, 1, 1)
		}
	}
	return dx
}

// Params returns Wex, b and, with I units, Wix and Wei.
func (l *DANN) Params() []*nn.Param {
	if l.Wix == nil {
		return []*nn.Param{l.Wex, l.B}
	}
	return []*nn.Param{l.Wex, l.B, l.Wix, l.Wei}
}

// NonNegative lists the sign-constrained weights.
func (l *DANN) NonNegative() []*nn.Param {
	if l.Wix == nil {
		return []*nn.Param{l.Wex}
	}
	return []*nn.Param{l.Wex, l.Wix, l.Wei}
}

// markNonNegative has the optimisers keep ps >= 0 in their update pass.
func markNonNegative(ps []*nn.Param) {
	for _, p := range ps {
		p.NonNegative = true
	}
}

// Project clips every parameter in ps to >= 0: the projection that keeps
// Dale's law after a gradient step.
func Project(ps []*nn.Param) {
	for _, p := range ps {
		nn.ClampNonNegative(p.Value.Data)
	}
}
