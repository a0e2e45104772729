package analysis

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// BootstrapCI is the percentile bootstrap interval at confidence conf of
// a statistic of n units (configurations, seeds): b resamples of n unit
// indices drawn with replacement from a PCG stream seeded by seed, so
// the interval is the same on every run. stat gets the indices of one
// resample (or 0..n-1 for the estimate) and may return NaN for a
// resample it cannot evaluate (too few units of some kind left); the
// interval is NaN when more than a tenth of resamples are NaN.
func BootstrapCI(n, b int, conf float64, seed uint64, stat func(idx []int) float64) (est, lo, hi float64) {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	est = stat(idx)
	if n == 0 || b < 1 {
		return est, math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	vals := make([]float64, 0, b)
	for r := 0; r < b; r++ {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		if v := stat(idx); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) < b-b/10 {
		return est, math.NaN(), math.NaN()
	}
	sort.Float64s(vals)
	tail := (1 - conf) / 2
	return est, quantileSorted(vals, tail), quantileSorted(vals, 1-tail)
}

// quantileSorted is the q-quantile of sorted x, linearly interpolated
// (numpy's default).
func quantileSorted(x []float64, q float64) float64 {
	pos := q * float64(len(x)-1)
	i := int(math.Floor(pos))
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	f := pos - float64(i)
	return x[i] + f*(x[i+1]-x[i])
}

// ClopperPearson is the exact (conservative) two-sided interval at
// confidence conf for a binomial rate with k successes in n trials.
func ClopperPearson(k, n int, conf float64) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n {
		return math.NaN(), math.NaN()
	}
	tail := (1 - conf) / 2
	lo, hi = 0, 1
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(tail)
	}
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - tail)
	}
	return lo, hi
}
