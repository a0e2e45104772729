package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/circuitry-lab/circuitry/internal/parallel"
	"github.com/circuitry-lab/circuitry/kernels"
)

// KDE is a Gaussian kernel density estimate in d dimensions with Scott's
// bandwidth, as scipy.stats.gaussian_kde: kernel covariance = (n^(-1/(d+4)))^2
// times the unbiased sample covariance. Period, when > 0, makes every
// coordinate periodic with that period (angles: 2*pi): the density sums
// the kernel over the neighbouring images.
type KDE struct {
	D       int
	N       int
	Period  float64
	data    []float64 // n x d
	white   []float64 // n x d, data mapped by the inverse Cholesky factor
	chol    *mat.TriDense
	inv     *mat.TriDense
	logNorm float64 // log of the kernel's normalising constant
}

// NewKDE fits a KDE to points (n x d, row-major).
func NewKDE(points []float64, d int, period float64) (*KDE, error) {
	n := len(points) / d
	if n < d+1 || len(points) != n*d {
		return nil, fmt.Errorf("KDE needs at least %d points of dimension %d, got %d values", d+1, d, len(points))
	}
	if period > 0 && d != 1 {
		return nil, fmt.Errorf("KDE: periodic coordinates are supported in 1 dimension, not %d", d)
	}
	k := &KDE{D: d, N: n, Period: period, data: points}
	x := mat.NewDense(n, d, append([]float64(nil), points...))
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	f := math.Pow(float64(n), -1/float64(d+4))
	cov.ScaleSym(f*f, &cov)
	var ch mat.Cholesky
	if !ch.Factorize(&cov) {
		return nil, fmt.Errorf("KDE: the %d points are degenerate (singular covariance)", n)
	}
	k.chol = mat.NewTriDense(d, mat.Lower, nil)
	ch.LTo(k.chol)
	k.inv = mat.NewTriDense(d, mat.Lower, nil)
	if err := k.inv.InverseTri(k.chol); err != nil {
		return nil, err
	}
	logDet := 0.0
	for i := 0; i < d; i++ {
		logDet += 2 * math.Log(k.chol.At(i, i))
	}
	k.logNorm = -0.5*float64(d)*math.Log(2*math.Pi) - 0.5*logDet
	k.white = make([]float64, n*d)
	for i := 0; i < n; i++ {
		k.whiten(k.white[i*d:(i+1)*d], points[i*d:(i+1)*d])
	}
	return k, nil
}

func (k *KDE) whiten(dst, x []float64) {
	for r := 0; r < k.D; r++ {
		var s float64
		for c := 0; c <= r; c++ {
			s += k.inv.At(r, c) * x[c]
		}
		dst[r] = s
	}
}

// LogPDF writes the log density at each of the m points (m x d) into dst,
// in parallel over points.
func (k *KDE) LogPDF(dst, points []float64) {
	parallel.For(len(points)/k.D, func(lo, hi int) {
		q := make([]float64, k.D)
		shifted := make([]float64, k.D)
		es, ex := make([]float64, k.N), make([]float64, k.N)
		for j := lo; j < hi; j++ {
			dst[j] = k.logPDF(points[j*k.D:(j+1)*k.D], q, shifted, es, ex)
		}
	})
}

// logPDF is the one-pass log-sum-exp over data points (and periodic
// images): for each exponent e in order, a new maximum rescales the sum
// by exp(max - e), any other e adds exp(e - max). The running maximum
// fixes every argument before any exponential is taken, so each image's
// are computed together (kernels.Exp, math.Exp's bits) and summed in the
// same order: the one-pass result, bit for bit. es and ex hold N values.
func (k *KDE) logPDF(x, q, shifted, es, ex []float64) float64 {
	images := []float64{0}
	if k.Period > 0 {
		images = []float64{0, -k.Period, k.Period}
	}
	maxE := math.Inf(-1)
	var terms float64
	es, ex = es[:k.N], ex[:k.N]
	for _, sh := range images {
		for c := range x {
			shifted[c] = x[c] + sh
		}
		k.whiten(q, shifted)
		k.exponents(es, q)
		m := maxE
		for i, e := range es {
			if e > m {
				ex[i], m = m-e, e
			} else {
				ex[i] = e - m
			}
		}
		kernels.Exp(ex, ex)
		for i, e := range es {
			if e > maxE {
				terms = terms*ex[i] + 1
				maxE = e
			} else {
				terms += ex[i]
			}
		}
	}
	return maxE + math.Log(terms) - math.Log(float64(k.N)) + k.logNorm
}

// exponents sets es[i] = -0.5 |q - white_i|^2 for every data point,
// summing the squares from 0 in coordinate order; the one- and
// two-dimensional loops (the studies' KDEs) do the same operations
// without a slice per point.
func (k *KDE) exponents(es, q []float64) {
	switch k.D {
	case 1:
		q0, white := q[0], k.white[:len(es)]
		for i, w := range white {
			dv := q0 - w
			var d2 float64
			d2 += dv * dv
			es[i] = -0.5 * d2
		}
	case 2:
		q0, q1, white := q[0], q[1], k.white[:2*len(es)]
		for i := range es {
			dv0, dv1 := q0-white[2*i], q1-white[2*i+1]
			var d2 float64
			d2 += dv0 * dv0
			d2 += dv1 * dv1
			es[i] = -0.5 * d2
		}
	default:
		k.exponentsAnyD(es, q)
	}
}

// exponentsAnyD is exponents in any dimension.
func (k *KDE) exponentsAnyD(es, q []float64) {
	for i := range es {
		w := k.white[i*k.D : (i+1)*k.D]
		var d2 float64
		for c, v := range q {
			dv := v - w[c]
			d2 += dv * dv
		}
		es[i] = -0.5 * d2
	}
}

// GradLogPDF returns the gradient of the log density at x (periodic
// images included for a periodic 1-D KDE).
func (k *KDE) GradLogPDF(x []float64) []float64 {
	// grad log p = sum_i w_i Sigma^-1 (x_i - x) / sum_i w_i, w_i the kernel
	// values; in whitened coordinates Sigma^-1 (x_i - x) = W^T (w_i - q).
	d := k.D
	images := []float64{0}
	if k.Period > 0 {
		images = []float64{0, -k.Period, k.Period}
	}
	q := make([]float64, d)
	xs := make([]float64, d)
	num := make([]float64, d)
	es := make([]float64, k.N*len(images))
	maxE := math.Inf(-1)
	for m, sh := range images {
		for c := range x {
			xs[c] = x[c] + sh
		}
		k.whiten(q, xs)
		k.exponents(es[m*k.N:(m+1)*k.N], q)
	}
	for _, e := range es {
		maxE = math.Max(maxE, e)
	}
	for i := range es {
		es[i] -= maxE
	}
	kernels.Exp(es, es) // the kernel values, math.Exp's bits
	var den float64
	for m, sh := range images {
		for c := range x {
			xs[c] = x[c] + sh
		}
		k.whiten(q, xs)
		for i := 0; i < k.N; i++ {
			w := es[m*k.N+i]
			den += w
			for c := 0; c < d; c++ {
				num[c] += w * (k.white[i*d+c] - q[c])
			}
		}
	}
	g := make([]float64, d)
	for c := 0; c < d; c++ {
		var s float64
		for r := c; r < d; r++ {
			s += k.inv.At(r, c) * num[r] / den
		}
		g[c] = s
	}
	return g
}

// Resample draws m points from the KDE: a random data point plus kernel
// noise, as gaussian_kde.resample.
func (k *KDE) Resample(m int, rng *rand.Rand) []float64 {
	d := k.D
	out := make([]float64, m*d)
	z := make([]float64, d)
	for j := 0; j < m; j++ {
		i := rng.IntN(k.N)
		for c := range z {
			z[c] = rng.NormFloat64()
		}
		for r := 0; r < d; r++ {
			s := k.data[i*d+r]
			for c := 0; c <= r; c++ {
				s += k.chol.At(r, c) * z[c]
			}
			if k.Period > 0 {
				s = math.Mod(s+k.Period/2, k.Period)
				if s < 0 {
					s += k.Period
				}
				s -= k.Period / 2
			}
			out[j*d+r] = s
		}
	}
	return out
}

// KLSamples is the number of Monte-Carlo samples of the study's KL estimate.
const KLSamples = 2500

// KL estimates KL(Q || P) by Monte Carlo: samples s ~ Q (resampled from
// Q's KDE), mean of log(q(s)/p(s)) with the ratio clipped to [1e-7, 1e7].
// logQ, when non-nil, replaces Q's KDE density (e.g. a uniform control).
func KL(q *KDE, p *KDE, samples []float64, logQ func(x []float64) float64) float64 {
	m := len(samples) / p.D
	lp := make([]float64, m)
	p.LogPDF(lp, samples)
	lq := make([]float64, m)
	if logQ != nil {
		for j := range lq {
			lq[j] = logQ(samples[j*p.D : (j+1)*p.D])
		}
	} else {
		q.LogPDF(lq, samples)
	}
	return ClippedKL(lq, lp)
}

// ClippedKL is the Monte-Carlo KL(Q || P) from the log densities of Q
// (lq) and P (lp) at samples drawn from Q: the mean log ratio, each ratio
// clipped to [1e-7, 1e7] as the study's estimator does.
func ClippedKL(lq, lp []float64) float64 {
	var s float64
	lo, hi := math.Log(1e-7), math.Log(1e7)
	for j := range lp {
		s += math.Min(math.Max(lq[j]-lp[j], lo), hi)
	}
	return s / float64(len(lp))
}
