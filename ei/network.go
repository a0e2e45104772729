package ei

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Condition is one network type of the study: the hidden layer's core,
// what normalises it, and for I-Norm the backward variant.
type Condition struct {
	Name    string // config name, e.g. "inorm_full"
	Label   string // the study's name, e.g. "I-Norm w/ GradNorm"
	Core    string // "dann", "eonly", "linear", "inorm" or "inorm_sub" (subtractive only)
	Norm    string // "none", "ln" (exact layer norm) or "ln_identity" (straight-through backward)
	Variant Variant
	// StandardizedZ: full and decorrelate use ẑ, not the study's raw z
	// (a named option, model.zhat_backward; off in the study).
	StandardizedZ bool
}

// Conditions lists every condition, by config name.
var Conditions = map[string]Condition{
	"ei":                {Name: "ei", Label: "E-I LN-", Core: "dann", Norm: "none"},
	"ei_ln":             {Name: "ei_ln", Label: "E-I LN+", Core: "dann", Norm: "ln"},
	"e_ln":              {Name: "e_ln", Label: "E-only LN+", Core: "eonly", Norm: "ln"},
	"ei_ln_identity":    {Name: "ei_ln_identity", Label: "E-I LN+ (identity backward)", Core: "dann", Norm: "ln_identity"},
	"mlp":               {Name: "mlp", Label: "MLP (unconstrained)", Core: "linear", Norm: "none"},
	"inorm":             {Name: "inorm", Label: "I-Norm", Core: "inorm", Variant: None},
	"inorm_full":        {Name: "inorm_full", Label: "I-Norm w/ GradNorm", Core: "inorm", Variant: Full},
	"inorm_center":      {Name: "inorm_center", Label: "I-Norm + center", Core: "inorm", Variant: Center},
	"inorm_fa_center":   {Name: "inorm_fa_center", Label: "I-Norm + fa_center", Core: "inorm", Variant: FACenter},
	"inorm_scale":       {Name: "inorm_scale", Label: "I-Norm + scale", Core: "inorm", Variant: Scale},
	"inorm_decorrelate": {Name: "inorm_decorrelate", Label: "I-Norm + decorrelate", Core: "inorm", Variant: Decorrelate},
	"inorm_sub":         {Name: "inorm_sub", Label: "Subtractive I-Norm", Core: "inorm_sub", Variant: None},
	"inorm_sub_center":  {Name: "inorm_sub_center", Label: "Subtractive I-Norm + center", Core: "inorm_sub", Variant: Center},
}

// ConditionNames lists the condition names, sorted.
func ConditionNames() []string {
	var ns []string
	for n := range Conditions {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// NumInhibitory is the study's interneuron count per hidden layer: max(1, floor(0.1 H)).
func NumInhibitory(h int) int { return max(1, h/10) }

// block is one hidden layer: core, normalisation, ReLU, plus the
// statistics the study logs.
type block struct {
	dann  *DANN
	lin   *nn.Linear
	inorm *INorm
	norm  string

	x, a   *tensor.Mat // input, pre-activation before normalisation
	z      *tensor.Mat // normalised pre-activation
	relu   nn.ReLU
	invStd []float32 // layer norm's 1/s per sample
	da     *tensor.Mat
	exact  *tensor.Mat // exact-LN error, for the alignment measure
	xhat   []float32
	gradW  *tensor.Mat // exact-LN weight gradient
	stats  LayerStats
}

// LayerStats are a hidden layer's statistics, averaged over the batches
// since the last reset: per-sample mean and variance across units of the
// layer's output before ReLU and before any layer norm (I-Norm: z; E and
// E-I networks: the raw pre-activation),
// and the cosine between its Wex gradient and the one exact layer norm
// would give (over the batches where alignment was measured).
// A diverged network's statistics are NaN, written as null.
type LayerStats struct {
	Mean     analysis.Float `json:"mean"`
	Var      analysis.Float `json:"var"`
	Cosine   analysis.Float `json:"cosine"`
	Batches  int            `json:"batches"`
	Measured int            `json:"measured"` // batches in Cosine
}

// Network is the study's 784 -> H -> ... -> 10 classifier for one condition.
type Network struct {
	Cond    Condition
	hidden  []*block
	outDANN *DANN
	outLin  *nn.Linear
	// MeasureAlignment makes the next Backward compute the gradient cosine
	// to exact layer norm (one extra GEMM per hidden layer).
	MeasureAlignment bool
	logits           *tensor.Mat
	workers          int // as SetWorkers set them
}

// NewNetwork builds a network for cond with the given hidden widths and
// interneuron counts (nil: the study's NumInhibitory). lambda weights the
// I-Norm local loss.
func NewNetwork(cond Condition, in int, hidden, inhibitory []int, classes int, lambda float64, rng *rand.Rand) (*Network, error) {
	n := &Network{Cond: cond}
	d := in
	for i, h := range hidden {
		name := fmt.Sprintf("h%d", i+1)
		ni := NumInhibitory(h)
		if inhibitory != nil {
			ni = inhibitory[i]
		}
		if ni < 1 || ni > h {
			return nil, fmt.Errorf("layer %s: %d inhibitory units for %d excitatory: want 1 to %d", name, ni, h, h)
		}
		b := &block{norm: cond.Norm}
		switch cond.Core {
		case "dann":
			b.dann = NewDANN(name, d, h, ni, rng)
		case "eonly":
			b.dann = NewDANN(name, d, h, 0, rng)
		case "linear":
			b.lin = nn.NewLinear(name, d, h, true, rng)
		case "inorm":
			l, err := NewINorm(name, d, h, ni, cond.Variant, lambda, rng)
			if err != nil {
				return nil, err
			}
			b.inorm = l
		case "inorm_sub":
			b.inorm = NewSubtractiveINorm(name, d, h, ni, cond.Variant, lambda, rng)
		default:
			return nil, fmt.Errorf("condition %s: unknown core %q", cond.Name, cond.Core)
		}
		if b.inorm != nil {
			b.inorm.StandardizedZ = cond.StandardizedZ
		}
		if i == 0 { // the input is data: no dL/dx needed
			skip, _ := b.flags()
			*skip = true
		}
		n.hidden = append(n.hidden, b)
		d = h
	}
	if cond.Core == "linear" {
		n.outLin = nn.NewLinear("out", d, classes, true, rng)
	} else {
		n.outDANN = NewDANN("out", d, classes, 1, rng)
	}
	return n, nil
}

// Forward returns the logits for the batch x.
func (n *Network) Forward(x *tensor.Mat) *tensor.Mat {
	for _, b := range n.hidden {
		x = b.forward(x)
	}
	if n.outLin != nil {
		n.logits = n.outLin.Forward(x)
	} else {
		n.logits = n.outDANN.Forward(x)
	}
	return n.logits
}

func (b *block) forward(x *tensor.Mat) *tensor.Mat {
	b.x = x
	var a *tensor.Mat
	switch {
	case b.dann != nil:
		a = b.dann.Forward(x)
	case b.lin != nil:
		a = b.lin.Forward(x)
	default:
		a = b.inorm.Forward(x)
	}
	b.a = a
	z := a
	if b.norm == "ln" || b.norm == "ln_identity" {
		z = tensor.Ensure(&b.z, a.Rows, a.Cols)
		if cap(b.invStd) < a.Rows {
			b.invStd = make([]float32, a.Rows)
		}
		b.invStd = b.invStd[:a.Rows]
		for i := 0; i < a.Rows; i++ {
			b.invStd[i] = nn.NormalizeRow(z.Row(i), a.Row(i), normEps)
		}
	}
	b.z = z
	// The study's moments are those of the layer's output before any layer
	// norm: I-Norm's z, the E and E-I networks' raw pre-activation.
	b.accumulateMoments(a)
	return b.relu.Forward(z)
}

// accumulateMoments adds the batch's mean over samples of the across-unit
// mean and (population) variance of z.
func (b *block) accumulateMoments(z *tensor.Mat) {
	var sm, sv float64
	for i := 0; i < z.Rows; i++ {
		var s, ss float64
		for _, v := range z.Row(i) {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
		m := s / float64(z.Cols)
		sm += m
		sv += ss/float64(z.Cols) - m*m
	}
	k := float64(b.stats.Batches)
	b.stats.Mean = analysis.Float((float64(b.stats.Mean)*k + sm/float64(z.Rows)) / (k + 1))
	b.stats.Var = analysis.Float((float64(b.stats.Var)*k + sv/float64(z.Rows)) / (k + 1))
	b.stats.Batches++
}

// Backward back-propagates dL/dlogits through the network, accumulating
// the task-loss gradients. With MeasureAlignment it first runs the
// backward pass an exact-layer-norm network with the same weights would
// run (every hidden layer's error through the layer-norm Jacobian at its
// pre-activation), keeps each hidden layer's Wex gradient from it, clears
// the gradients, and then runs the network's own backward pass; the
// cosine between the two Wex gradients is circuitry's whole-network
// exact-LN cosine (not the study's per-layer gradient alignment).
func (n *Network) Backward(dlogits *tensor.Mat) {
	if n.MeasureAlignment {
		n.backward(dlogits, true)
		for _, b := range n.hidden {
			w := b.wex()
			gw := tensor.Ensure(&b.gradW, w.Grad.Rows, w.Grad.Cols)
			gw.Copy(w.Grad)
		}
		nn.ZeroGradN(n.workers, n.Params())
	}
	n.backward(dlogits, false)
	if n.MeasureAlignment {
		for _, b := range n.hidden {
			b.recordCosine()
		}
	}
}

func (n *Network) backward(dlogits *tensor.Mat, exact bool) {
	var dh *tensor.Mat
	if n.outLin != nil {
		dh = n.outLin.Backward(dlogits)
	} else {
		dh = n.outDANN.Backward(dlogits)
	}
	for i := len(n.hidden) - 1; i >= 0; i-- {
		dh = n.hidden[i].backward(dh, exact)
	}
}

func (b *block) wex() *nn.Param {
	switch {
	case b.inorm != nil:
		return b.inorm.Wex
	case b.dann != nil:
		return b.dann.Wex
	default:
		return b.lin.W
	}
}

func (b *block) backward(dh *tensor.Mat, exact bool) *tensor.Mat {
	g := b.relu.Backward(dh)
	if exact {
		da := b.exactLNError(g)
		switch {
		case b.inorm != nil:
			return b.inorm.BackwardExactLN(da)
		case b.dann != nil:
			return b.dann.Backward(da)
		default:
			return b.lin.Backward(da)
		}
	}
	if b.inorm != nil {
		return b.inorm.Backward(g)
	}
	da := g
	if b.norm == "ln" {
		da = tensor.Ensure(&b.da, g.Rows, g.Cols)
		for i := 0; i < g.Rows; i++ {
			nn.LayerNormBackwardRow(da.Row(i), g.Row(i), b.z.Row(i), b.invStd[i])
		}
	}
	if b.dann != nil {
		return b.dann.Backward(da)
	}
	return b.lin.Backward(da)
}

// exactLNError applies the layer-norm Jacobian at the layer's
// pre-normalisation activity a to the error g (for I-Norm a = e - i = z D).
func (b *block) exactLNError(g *tensor.Mat) *tensor.Mat {
	exact := tensor.Ensure(&b.exact, g.Rows, g.Cols)
	if cap(b.xhat) < 2*g.Cols {
		b.xhat = make([]float32, 2*g.Cols)
	}
	xhat, arow := b.xhat[:g.Cols], b.xhat[g.Cols:2*g.Cols]
	for i := 0; i < g.Rows; i++ {
		a := b.a.Row(i)
		if b.inorm != nil {
			d := b.inorm.D()[i]
			for j, v := range b.z.Row(i) {
				arow[j] = v * d
			}
			a = arow
		}
		inv := nn.NormalizeRow(xhat, a, normEps)
		nn.LayerNormBackwardRow(exact.Row(i), g.Row(i), xhat, inv)
	}
	return exact
}

// recordCosine folds the cosine between the layer's actual Wex gradient
// and the exact-LN one into its statistics.
func (b *block) recordCosine() {
	w := b.wex()
	var dot, na, nb float64
	for j, v := range w.Grad.Data {
		e := float64(b.gradW.Data[j])
		dot += float64(v) * e
		na += float64(v) * float64(v)
		nb += e * e
	}
	cos := 0.0
	if na > 0 && nb > 0 {
		cos = dot / math.Sqrt(na*nb)
	}
	k := float64(b.stats.Measured)
	b.stats.Cosine = analysis.Float((float64(b.stats.Cosine)*k + cos) / (k + 1))
	b.stats.Measured++
}

// LocalBackward runs every I-Norm layer's local loss backward and returns
// the summed local loss (0 for other conditions).
func (n *Network) LocalBackward() float64 {
	var l float64
	for _, b := range n.hidden {
		if b.inorm != nil {
			l += b.inorm.LocalBackward()
		}
	}
	return l
}

// flags are the block's layer's SkipInputGrad and Workers settings.
func (b *block) flags() (skipInputGrad *bool, workers *int) {
	switch {
	case b.dann != nil:
		return &b.dann.SkipInputGrad, &b.dann.Workers
	case b.lin != nil:
		return &b.lin.SkipInputGrad, &b.lin.Workers
	}
	return &b.inorm.SkipInputGrad, &b.inorm.Workers
}

// SetWorkers caps the goroutines of every product of the network (see
// DANN.Workers).
func (n *Network) SetWorkers(w int) {
	n.workers = w
	for _, b := range n.hidden {
		_, workers := b.flags()
		*workers = w
	}
	if n.outLin != nil {
		n.outLin.Workers = w
	} else {
		n.outDANN.Workers = w
	}
}

// SetPrecision sets the precision of every layer's matrix products
// (tensor.Float16Autocast: the study's fp16 autocast).
func (n *Network) SetPrecision(p tensor.Precision) {
	for _, b := range n.hidden {
		switch {
		case b.dann != nil:
			b.dann.Precision = p
		case b.lin != nil:
			b.lin.Precision = p
		default:
			b.inorm.Precision = p
		}
	}
	if n.outLin != nil {
		n.outLin.Precision = p
	} else {
		n.outDANN.Precision = p
	}
}

// SetDANNInputsFirst sets every DANN layer's product order (see
// DANN.InputsFirst; false is the authors').
func (n *Network) SetDANNInputsFirst(on bool) {
	for _, b := range n.hidden {
		if b.dann != nil {
			b.dann.InputsFirst = on
		}
	}
	if n.outDANN != nil {
		n.outDANN.InputsFirst = on
	}
}

// Stats returns each hidden layer's statistics since the last ResetStats.
func (n *Network) Stats() []LayerStats {
	out := make([]LayerStats, len(n.hidden))
	for i, b := range n.hidden {
		out[i] = b.stats
	}
	return out
}

// ResetStats clears the accumulated statistics.
func (n *Network) ResetStats() {
	for _, b := range n.hidden {
		b.stats = LayerStats{}
	}
}

// SetStats restores statistics saved from Stats (checkpoints).
func (n *Network) SetStats(st []LayerStats) {
	for i, b := range n.hidden {
		if i < len(st) {
			b.stats = st[i]
		}
	}
}

// Params lists every trainable parameter.
func (n *Network) Params() []*nn.Param {
	var ps []*nn.Param
	for _, g := range n.Groups(1, 1, 1) {
		ps = append(ps, g.Params...)
	}
	return ps
}

// Fixed lists the tensors the network uses but does not train, which a
// copy of it needs: each divisive I-Norm layer's Wei (rows sum to 1) and
// the fa_center layers' feedback weights (NAME.fa, one per unit).
func (n *Network) Fixed() []safetensors.Tensor {
	var ts []safetensors.Tensor
	for _, b := range n.hidden {
		l := b.inorm
		if l == nil {
			continue
		}
		if !l.Subtractive {
			w := l.Wei.Value
			ts = append(ts, safetensors.Tensor{Name: l.Wei.Name, Shape: []int{w.Rows, w.Cols}, Data: w.Data})
		}
		if l.FA != nil {
			name := strings.TrimSuffix(l.Wex.Name, ".Wex") + ".fa"
			ts = append(ts, safetensors.Tensor{Name: name, Shape: []int{len(l.FA)}, Data: l.FA})
		}
	}
	return ts
}

// Groups returns the study's learning-rate groups: lr for Wex and b (and
// an MLP's weights), lrWix for Wix and Bix, lrWei for Wei. I-Norm hidden
// layers' Wei is fixed and in no group.
func (n *Network) Groups(lr, lrWix, lrWei float64) []nn.Group {
	var main, wix, wei []*nn.Param
	addDANN := func(l *DANN) {
		main = append(main, l.Wex, l.B)
		if l.Wix != nil {
			wix = append(wix, l.Wix)
			wei = append(wei, l.Wei)
		}
	}
	for _, b := range n.hidden {
		switch {
		case b.dann != nil:
			addDANN(b.dann)
		case b.lin != nil:
			main = append(main, b.lin.Params()...)
		case b.inorm.Subtractive:
			main = append(main, b.inorm.Wex, b.inorm.B)
			wix = append(wix, b.inorm.Wix)
			wei = append(wei, b.inorm.Wei)
		default:
			main = append(main, b.inorm.Wex, b.inorm.B)
			wix = append(wix, b.inorm.Wix, b.inorm.Bix)
		}
	}
	if n.outLin != nil {
		main = append(main, n.outLin.Params()...)
	} else {
		addDANN(n.outDANN)
	}
	gs := []nn.Group{{Name: "lr", Params: main, LR: lr}}
	if len(wix) > 0 {
		gs = append(gs, nn.Group{Name: "lr_wix", Params: wix, LR: lrWix})
	}
	if len(wei) > 0 {
		gs = append(gs, nn.Group{Name: "lr_wei", Params: wei, LR: lrWei})
	}
	return gs
}

// CorrectGradients applies the DANN update correction of Cornford et al.
// (ICLR 2021, "cSGD"): in every DANN layer the Wix gradient is divided by
// sqrt(ne) and the Wei gradient by the input width d, because a change of
// an inhibitory weight moves all ne outputs at once. Call it between
// Backward and the optimiser step. I-Norm layers are left alone: their
// inhibition learns from the local loss.
func (n *Network) CorrectGradients() {
	correct := func(l *DANN) {
		if l == nil || l.Wix == nil {
			return
		}
		ne, d := l.Wex.Value.Rows, l.Wex.Value.Cols
		scale(l.Wix.Grad.Data, float32(1/math.Sqrt(float64(ne))))
		scale(l.Wei.Grad.Data, float32(1/float64(d)))
	}
	for _, b := range n.hidden {
		correct(b.dann)
	}
	correct(n.outDANN)
}

func scale(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// Project clips every sign-constrained weight to >= 0; call after each step.
func (n *Network) Project() {
	for _, b := range n.hidden {
		switch {
		case b.dann != nil:
			Project(b.dann.NonNegative())
		case b.inorm != nil:
			Project(b.inorm.NonNegative())
		}
	}
	if n.outDANN != nil {
		Project(n.outDANN.NonNegative())
	}
}

// LoadFixed sets the tensors Fixed lists from a saved copy (by name).
func (n *Network) LoadFixed(saved map[string][]float32) error {
	for _, t := range n.Fixed() {
		v, ok := saved[t.Name]
		if !ok || len(v) != len(t.Data) {
			return fmt.Errorf("fixed tensor %s: missing or of another size in the saved weights", t.Name)
		}
		copy(t.Data, v) // Fixed's tensors share the layers' storage
	}
	return nil
}
