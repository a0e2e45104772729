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
//
// As the authors' code does, it forms the effective weight
// W = Wex - Wei Wix first and then multiplies x W^T. The two orders agree
// in exact arithmetic; in float32 they differ by rounding, and under
// float16 autocast the authors' rounds the small weight product Wei Wix to
// half where the other order rounds two large, nearly cancelling
// activations x Wex^T and (x Wix^T) Wei^T. InputsFirst selects that other
// order (circuitry's until 2026-12-06): it skips the ne x ni x d weight
// product and its two backward products, which cost more than the batch
// products when ni exceeds the batch (a study hidden layer: ni = H/10).
type DANN struct {
	Wex, Wix, Wei, B *nn.Param // Wix, Wei nil when ni = 0
	// InputsFirst: z = x Wex^T - (x Wix^T) Wei^T + b instead of the
	// authors' x (Wex - Wei Wix)^T + b (a named option, model.dann_order:
	// inputs_first; off in the study's presets).
	InputsFirst bool
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
	w, dw     *tensor.Mat // weights first: W = Wex - Wei Wix, dL/dW
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

// Forward computes z = x (Wex - Wei Wix)^T + b, or with InputsFirst
// z = x Wex^T - (x Wix^T) Wei^T + b.
func (l *DANN) Forward(x *tensor.Mat) *tensor.Mat {
	l.x = x
	z := tensor.Ensure(&l.z, x.Rows, l.Wex.Value.Rows)
	l.ws[0], l.outs[0] = l.Wex.Value, z
	switch {
	case l.Wix == nil:
		l.in.forward(l.Precision, l.Workers, x, l.ws[:1], l.outs[:1])
	case l.InputsFirst:
		l.ws[1], l.outs[1] = l.Wix.Value, tensor.Ensure(&l.hI, x.Rows, l.Wix.Value.Rows)
		l.in.forward(l.Precision, l.Workers, x, l.ws[:2], l.outs[:2])
		tensor.MatMulP(l.Precision, &l.half, l.Workers, z, l.hI, false, l.Wei.Value, true, -1, 1)
	default:
		// Autocast: the product Wei Wix is rounded to half, the difference
		// with the float32 Wex is float32, and x W^T rounds W again.
		w := tensor.Ensure(&l.w, l.Wex.Value.Rows, l.Wex.Value.Cols)
		w.CopyN(l.Workers, l.Wex.Value)
		tensor.MatMulP(l.Precision, &l.half, l.Workers, w, l.Wei.Value, false, l.Wix.Value, false, -1, 1)
		l.ws[0] = w
		l.in.forward(l.Precision, l.Workers, x, l.ws[:1], l.outs[:1])
	}
	z.AddRow(l.B.Value.Data)
	return z
}

// Backward accumulates the weight gradients, db = sum dz, and returns dx.
// Weights first: dW = dz^T x, dWex = dW, dWei = -dW Wix^T,
// dWix = -Wei^T dW, dx = dz W. InputsFirst: dWex = dz^T x,
// dWei = -dz^T hI, dWix = dhI^T x with dhI = -dz Wei, dx = dz Wex + dhI Wix.
func (l *DANN) Backward(dz *tensor.Mat) *tensor.Mat {
	dzh := tensor.Rounded(l.Precision, &l.dzh, dz)
	dz.SumRowsInto(l.B.Grad.Data)
	var dx *tensor.Mat
	if !l.SkipInputGrad {
		dx = tensor.Ensure(&l.dx, dz.Rows, l.Wex.Value.Cols)
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dx, dzh, false, l.in.weight(0), false, 1, 0)
	}
	switch {
	case l.Wix == nil:
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wex.Grad, dzh, true, l.in.input(), false, 1, 1)
	case l.InputsFirst:
		l.backwardInputsFirst(dzh, dx)
	default:
		// dW is a float16 product's result (half values), so the products
		// that read it see it unchanged; its sum into dWex is float32.
		dw := tensor.Ensure(&l.dw, l.Wex.Value.Rows, l.Wex.Value.Cols)
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dw, dzh, true, l.in.input(), false, 1, 0)
		l.Wex.Grad.AddN(l.Workers, dw)
		tensor.MatMulP(l.Precision, &l.half, l.Workers, l.Wei.Grad, dw, false, l.Wix.Value, true, -1, 1)
		tensor.MatMulP(l.Precision, &l.half, l.Workers, l.Wix.Grad, l.Wei.Value, true, dw, false, -1, 1)
	}
	return dx
}

// backwardInputsFirst is Backward's weight gradients and dx's inhibitory
// part for the InputsFirst order.
func (l *DANN) backwardInputsFirst(dzh, dx *tensor.Mat) {
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wex.Grad, dzh, true, l.in.input(), false, 1, 1)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, l.Wei.Grad, dzh, true, l.hI, false, -1, 1)
	dhI := tensor.Ensure(&l.dhI, dzh.Rows, l.Wix.Value.Rows)
	tensor.MatMulP(l.Precision, &l.half, l.Workers, dhI, dzh, false, l.Wei.Value, false, -1, 0)
	dhIh := tensor.Rounded(l.Precision, &l.dhIh, dhI)
	tensor.MatMulRounded(l.Precision, &l.half, l.Workers, l.Wix.Grad, dhIh, true, l.in.input(), false, 1, 1)
	if dx != nil {
		tensor.MatMulRounded(l.Precision, &l.half, l.Workers, dx, dhIh, false, l.in.weight(1), false, 1, 1)
	}
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
