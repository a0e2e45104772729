package ei

import (
	"fmt"
	"math"

	"github.com/circuitry-lab/circuitry/tensor"
)

// StepZeroMoments are one layer's across-unit moments on a run's first
// training batch, before the first update: the evidence for the science
// file's check 1 ("a DANN layer with b = 0 gives exactly zero across-unit
// mean; an I-Norm layer gives mean 0 and variance 1 (up to eps) for any
// input"), taken from the run itself rather than from a fresh network.
//
// Means are measured relative to the sample's excitatory drive m = mean_k
// (Wex x)_k (for I-Norm: of the numerator e - i, i.e. |mean_k z| D / m),
// because every rounding error of the layer scales with m, not with the
// small centred pre-activation. Each value comes with the bound that
// arithmetic alone allows (see stepZeroBounds): a correct initialisation
// stays inside it, a wrong one (Wix not the column mean of Wex, Wei rows
// not summing to 1, Bix not from W's SVD) leaves it by orders of
// magnitude. Every field is the maximum over the batch's samples.
type StepZeroMoments struct {
	Layer      string `json:"layer"`
	Kind       string `json:"kind"` // "dann" or "inorm"
	Inputs     int    `json:"inputs"`
	Inhibitory int    `json:"inhibitory"`
	// Exact: recomputed in float64 from the layer's float32 weights and
	// the input it received; bounded by the float32 storage of the
	// initial weights.
	ExactMean      float64 `json:"exact_mean"`
	ExactMeanBound float64 `json:"exact_mean_bound"`
	// I-Norm only, in float64: |var_k z - 1| with the eps term taken out
	// ("variance 1 up to eps": the numerator's variance over D^2 - eps),
	// and its bound (Bix's float32 storage).
	ExactVar      float64 `json:"exact_var_without_eps,omitempty"`
	ExactVarBound float64 `json:"exact_var_without_eps_bound,omitempty"`
	// ExactVarWithEps and its bound are what runs of 092975a recorded
	// (|var_k z - 1| with eps in D, bounded by eps/(v+eps) plus storage):
	// kept under their own names so the two are never mixed up.
	ExactVarWithEps      float64 `json:"exact_var,omitempty"`
	ExactVarWithEpsBound float64 `json:"exact_var_bound,omitempty"`
	// Trained: the forward pass's own z, in the run's precision.
	TrainedMean      float64 `json:"trained_mean"`
	TrainedMeanBound float64 `json:"trained_mean_bound"`
	// I-Norm only, reported and not judged: |var_k z - 1| as trained.
	TrainedVar float64 `json:"trained_var,omitempty"`
}

// Unit roundoffs of the formats the products use.
const (
	roundoff32   = 0x1p-24
	roundoff16   = 0x1p-11
	subnormal16  = 0x1p-25 // half's absolute error below 2^-14
	normEpsFloat = float64(normEps)
)

// stepZeroBounds are the relative bounds on |mean_k z| / m for a layer
// with d inputs and ni inhibitory units whose products run at precision p.
//
// Exact arithmetic on the stored weights: Wix's rows are the column means
// of Wex rounded to float32 (relative error u32) and Wei's rows sum to 1
// within ni u32, so (Wei Wix)_kj = colmean_j (1 + delta), |delta| <= (ni+1)
// u32, and |mean_k z| <= (ni+2) u32 m.
//
// As trained, each rounding to the product format (unit roundoff u) errs by
// u of the rounded value. Weights first, W = fl(Wex - fl(Wei Wix)) errs by
// u (|W_kj| + 2 colmean_j), and z_k = fl(x W_k^T) by u |z_k|; with
// sum_j |W_kj| x_j <= e_k + m and mean_k |z_k| <= 2m that is 5u m. Inputs
// first (and I-Norm), e_k and i_k are each rounded twice or three times
// around values ~m: 6u m. Accumulating d float32 terms adds 2 d u32 m, and
// half's subnormal spacing adds d 2^-25 max_j x_j in absolute terms. The
// bound below is 6u + 2 d u32 + (ni+2) u32 (plus the subnormal term, added
// per sample): it covers both orders.
func stepZeroBounds(d, ni int, p tensor.Precision) (exact, trained float64) {
	exact = float64(ni+2) * roundoff32
	u := roundoff32
	if p == tensor.Float16Autocast {
		u = roundoff16
	}
	return exact, 6*u + 2*float64(d)*roundoff32 + exact
}

// StepZero measures every hidden layer with inhibitory units, and the
// output layer, on the batch of the last Forward. Call it right after the
// first Forward, before any update. E-only and linear layers have no
// claim and are left out.
func (n *Network) StepZero() []StepZeroMoments {
	var out []StepZeroMoments
	for h, b := range n.hidden {
		name := fmt.Sprintf("h%d", h+1)
		switch {
		case b.dann != nil && b.dann.Wix != nil:
			out = append(out, b.dann.stepZero(name, b.a))
		case b.inorm != nil && !b.inorm.Subtractive:
			out = append(out, b.inorm.stepZero(name))
		}
	}
	if n.outDANN != nil {
		out = append(out, n.outDANN.stepZero("out", n.logits))
	}
	return out
}

// drive64 returns x_n Wex^T in float64 and its mean over units.
func drive64(x []float32, w *tensor.Mat, dst []float64) float64 {
	var m float64
	for k := range dst {
		var s float64
		for j, v := range w.Row(k) {
			s += float64(v) * float64(x[j])
		}
		dst[k] = s
		m += s
	}
	return m / float64(len(dst))
}

// inhibition64 returns (x_n Wix^T) Wei^T in float64.
func inhibition64(x []float32, wix, wei *tensor.Mat, dst []float64) {
	h := make([]float64, wix.Rows)
	for l := range h {
		for j, v := range wix.Row(l) {
			h[l] += float64(v) * float64(x[j])
		}
	}
	for k := range dst {
		var s float64
		for l, v := range wei.Row(k) {
			s += float64(v) * h[l]
		}
		dst[k] = s
	}
}

// subnormalTerm is half's absolute subnormal error over d products, as a
// fraction of the drive m (zero in float32).
func subnormalTerm(x []float32, m float64, p tensor.Precision) float64 {
	if p != tensor.Float16Autocast || m <= 0 {
		return 0
	}
	var mx float64
	for _, v := range x {
		mx = math.Max(mx, math.Abs(float64(v)))
	}
	return float64(len(x)) * subnormal16 * mx / m
}

// meanVar64 returns the across-unit mean and population variance of v.
func meanVar64(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

// rowMean is the mean of a float32 row in float64.
func rowMean(r []float32) float64 {
	var s float64
	for _, v := range r {
		s += float64(v)
	}
	return s / float64(len(r))
}

// stepZero measures a DANN layer whose forward output (bias included) is z.
func (l *DANN) stepZero(name string, z *tensor.Mat) StepZeroMoments {
	ne, d, ni := l.Wex.Value.Rows, l.Wex.Value.Cols, l.Wix.Value.Rows
	exactB, trainedB := stepZeroBounds(d, ni, l.Precision)
	s := StepZeroMoments{Layer: name, Kind: "dann", Inputs: d, Inhibitory: ni, ExactMeanBound: exactB, TrainedMeanBound: trainedB}
	e, i := make([]float64, ne), make([]float64, ne)
	bias := rowMean(l.B.Value.Data)
	for n := 0; n < l.x.Rows; n++ {
		x := l.x.Row(n)
		m := drive64(x, l.Wex.Value, e)
		inhibition64(x, l.Wix.Value, l.Wei.Value, i)
		var c float64
		for k := range e {
			c += e[k] - i[k]
		}
		s.ExactMean = math.Max(s.ExactMean, math.Abs(c/float64(ne))/m)
		s.TrainedMean = math.Max(s.TrainedMean, math.Abs(rowMean(z.Row(n))-bias)/m)
		s.TrainedMeanBound = math.Max(s.TrainedMeanBound, trainedB+subnormalTerm(x, m, l.Precision))
	}
	return s
}

// stepZero measures an I-Norm layer on its last forward batch.
func (l *INorm) stepZero(name string) StepZeroMoments {
	ne, d, ni := l.Wex.Value.Rows, l.Wex.Value.Cols, l.Wix.Value.Rows
	exactB, trainedB := stepZeroBounds(d, ni, l.Precision)
	s := StepZeroMoments{Layer: name, Kind: "inorm", Inputs: d, Inhibitory: ni, ExactMeanBound: exactB, TrainedMeanBound: trainedB}
	e, i, r := make([]float64, ne), make([]float64, ne), make([]float64, ne)
	bias := rowMean(l.B.Value.Data)
	bixNorm := frobenius(l.Bix.Value)
	for n := 0; n < l.x.Rows; n++ {
		x := l.x.Row(n)
		m := drive64(x, l.Wex.Value, e)
		inhibition64(x, l.Wix.Value, l.Wei.Value, i)
		drive64(x, l.Bix.Value, r)
		var rr, xx float64
		for k := range e {
			e[k] -= i[k]
			rr += r[k] * r[k]
		}
		for _, v := range x {
			xx += float64(v) * float64(v)
		}
		mean, v := meanVar64(e) // numerator e - i, bias excluded (zero at init)
		dd := rr/float64(ne) + normEpsFloat
		s.ExactMean = math.Max(s.ExactMean, math.Abs(mean)/m)
		s.ExactVar = math.Max(s.ExactVar, math.Abs(v/(dd-normEpsFloat)-1))
		// Bix stored in float32 moves ||Bix x||^2 by at most 2 u32
		// ||Bix||_F ||x|| / ||Bix x|| of itself (Cauchy-Schwarz).
		store := 2 * roundoff32 * bixNorm * math.Sqrt(xx) / math.Sqrt(rr)
		s.ExactVarBound = math.Max(s.ExactVarBound, store+1e-12)
		zm, zv := meanVar32(l.z.Row(n))
		dn := float64(l.d[n])
		s.TrainedMean = math.Max(s.TrainedMean, math.Abs(zm-bias/dn)*dn/m)
		s.TrainedVar = math.Max(s.TrainedVar, math.Abs(zv-1))
		s.TrainedMeanBound = math.Max(s.TrainedMeanBound, trainedB+subnormalTerm(x, m, l.Precision))
	}
	return s
}

func meanVar32(r []float32) (mean, variance float64) {
	v := make([]float64, len(r))
	for k, x := range r {
		v[k] = float64(x)
	}
	return meanVar64(v)
}

func frobenius(m *tensor.Mat) float64 {
	var s float64
	for _, v := range m.Data {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}
