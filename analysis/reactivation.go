package analysis

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Positions are time-major decoded states: element (t, b) of a batch of B
// trajectories of dimension d starts at [(t*B+b)*d]. Angles (d = 1,
// periodic) are in [-pi, pi).

// wrapAngle maps a difference of angles to [-pi, pi).
func wrapAngle(a float64) float64 {
	a = math.Mod(a+math.Pi, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a - math.Pi
}

// StepDistance is the mean distance between consecutive decoded states
// over all trajectories; periodic treats 1-D states as angles.
func StepDistance(pos []float64, b, d int, periodic bool) float64 {
	t := len(pos) / (b * d)
	var s float64
	n := 0
	for st := 1; st < t; st++ {
		for i := 0; i < b; i++ {
			cur, prev := pos[(st*b+i)*d:], pos[((st-1)*b+i)*d:]
			var d2 float64
			for c := 0; c < d; c++ {
				dv := cur[c] - prev[c]
				if periodic {
					dv = wrapAngle(dv)
				}
				d2 += dv * dv
			}
			s += math.Sqrt(d2)
			n++
		}
	}
	return s / float64(max(n, 1))
}

// MeanSignedStep is the mean of wrap(theta_t - theta_{t-1}) over all
// trajectories of angles: the drift direction (positive counter-clockwise).
func MeanSignedStep(theta []float64, b int) float64 {
	t := len(theta) / b
	var s float64
	for st := 1; st < t; st++ {
		for i := 0; i < b; i++ {
			s += wrapAngle(theta[st*b+i] - theta[(st-1)*b+i])
		}
	}
	return s / float64(max((t-1)*b, 1))
}

// TrajectoryVariance is, per trajectory, the trace of the covariance of
// its states over steps from..T-1, averaged over trajectories (the study's
// "output variance"). For angles it is the circular variance 1 - R.
func TrajectoryVariance(pos []float64, b, d, from int, periodic bool) float64 {
	t := len(pos) / (b * d)
	n := float64(t - from)
	var total float64
	for i := 0; i < b; i++ {
		if periodic {
			var sx, sy float64
			for st := from; st < t; st++ {
				sx += math.Cos(pos[st*b+i])
				sy += math.Sin(pos[st*b+i])
			}
			total += 1 - math.Hypot(sx, sy)/n
			continue
		}
		for c := 0; c < d; c++ {
			var s, ss float64
			for st := from; st < t; st++ {
				v := pos[(st*b+i)*d+c]
				s += v
				ss += v * v
			}
			m := s / n
			total += (ss - n*m*m) / (n - 1)
		}
	}
	return total / float64(b)
}

// ExplainedVariance returns the cumulative fraction of variance explained
// by the first k principal components of the rows of x (n x m), k = 1..m.
func ExplainedVariance(x []float32, n, m int) []float64 {
	d := mat.NewDense(n, m, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			d.Set(i, j, float64(x[i*m+j]))
		}
	}
	var pc stat.PC
	if !pc.PrincipalComponents(d, nil) {
		return nil
	}
	vars := pc.VarsTo(nil)
	var total float64
	for _, v := range vars {
		total += v
	}
	cum := make([]float64, len(vars))
	var s float64
	for i, v := range vars {
		s += v
		cum[i] = s / total
	}
	return cum
}

// DriftAlignment compares each state's noise-free drift delta (n x d,
// from the states at pos) with the gradient g of the waking log density
// there: positive when the dynamics flow toward states visited awake. It
// returns the mean cosine and the cosine weighted by |g| (sum |g| cos /
// sum |g|): where the waking density is nearly flat, as inside the box
// of the unbiased task, g is mostly estimator noise with no direction to
// align with, and the weighting counts the states where the density does
// prefer one. In 1-D the cosine is the sign agreement. States with no
// drift or no gradient are skipped; it also returns how many counted.
func DriftAlignment(pos, delta []float64, d int, wake *KDE) (meanCos, weightedCos float64, counted int) {
	n := len(pos) / d
	var s, sw, w float64
	for i := 0; i < n; i++ {
		dv := delta[i*d : (i+1)*d]
		g := wake.GradLogPDF(pos[i*d : (i+1)*d])
		var dot, nd, ng float64
		for c := 0; c < d; c++ {
			dot += dv[c] * g[c]
			nd += dv[c] * dv[c]
			ng += g[c] * g[c]
		}
		if nd == 0 || ng == 0 {
			continue
		}
		cos := dot / math.Sqrt(nd*ng)
		s += cos
		sw += math.Sqrt(ng) * cos
		w += math.Sqrt(ng)
		counted++
	}
	if counted == 0 {
		return math.NaN(), math.NaN(), 0
	}
	return s / float64(counted), sw / w, counted
}

// CumulativeVarianceFromCov returns the cumulative fraction of variance
// explained by the first k principal components, k = 1..m, of data whose
// covariance matrix (m x m, row-major, symmetric) is cov: what
// ExplainedVariance computes, for data accumulated in blocks too large to
// hold at once. Nil if the eigendecomposition fails or the variance is 0.
func CumulativeVarianceFromCov(cov []float64, m int) []float64 {
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(m, cov), false) {
		return nil
	}
	vals := eig.Values(nil) // ascending
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	if !(total > 0) {
		return nil
	}
	cum := make([]float64, m)
	var s float64
	for i := range m {
		s += max(vals[m-1-i], 0)
		cum[i] = s / total
	}
	return cum
}
