package analysis

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Summary describes a sample: its size, median, mean, extremes.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summarize returns the sample's summary (NaNs for an empty sample).
func Summarize(x []float64) Summary {
	if len(x) == 0 {
		n := math.NaN()
		return Summary{Median: n, Mean: n, Min: n, Max: n}
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return Summary{N: len(s), Median: Median(s), Mean: stat.Mean(s, nil), Min: s[0], Max: s[len(s)-1]}
}

// Median of x (x need not be sorted).
func Median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MannWhitneyU is the two-sided Mann-Whitney U test of x against y. It
// returns U for x (the number of pairs with x > y, ties counting one half)
// and the p-value: exact (by counting rank arrangements) when either sample
// has at most 8 values and there are no ties, otherwise the normal
// approximation with tie correction and continuity correction — the same
// choices as scipy.stats.mannwhitneyu(method="auto").
func MannWhitneyU(x, y []float64) (u, p float64) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return math.NaN(), math.NaN()
	}
	type obs struct {
		v     float64
		fromX bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	// Mid-ranks and the tie term sum(t^3 - t).
	var r1, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2
		t := float64(j - i)
		ties += t*t*t - t
		for k := i; k < j; k++ {
			if all[k].fromX {
				r1 += rank
			}
		}
		i = j
	}
	u = r1 - float64(n1*(n1+1))/2
	if (n1 <= 8 || n2 <= 8) && ties == 0 {
		return u, exactMWU(u, n1, n2)
	}
	n := float64(n1 + n2)
	mu := float64(n1*n2) / 2
	sigma := math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - ties/(n*(n-1))))
	if sigma == 0 {
		return u, 1
	}
	z := (math.Abs(u-mu) - 0.5) / sigma
	p = 2 * distuv.UnitNormal.Survival(max(z, 0))
	return u, min(p, 1)
}

// exactMWU is the exact two-sided p-value of U for samples of n1 and n2
// without ties: the number of arrangements with U at least as extreme,
// counted by the recurrence c(n1, n2, u) = c(n1-1, n2, u-n2) + c(n1, n2-1, u).
func exactMWU(u float64, n1, n2 int) float64 {
	maxU := n1 * n2
	// counts[a][b][k]: arrangements of a x's and b y's with U = k.
	counts := make([][][]float64, n1+1)
	for a := range counts {
		counts[a] = make([][]float64, n2+1)
		for b := range counts[a] {
			counts[a][b] = make([]float64, maxU+1)
			if a == 0 || b == 0 {
				counts[a][b][0] = 1
				continue
			}
			for k := 0; k <= a*b; k++ {
				var c float64
				if k-b >= 0 {
					c += counts[a-1][b][k-b]
				}
				c += counts[a][b-1][k]
				counts[a][b][k] = c
			}
		}
	}
	dist := counts[n1][n2]
	var total, tail float64
	lo := math.Min(u, float64(maxU)-u)
	for k, c := range dist {
		total += c
		if float64(k) <= lo+1e-9 {
			tail += c
		}
	}
	return math.Min(1, 2*tail/total)
}

// WelchT is Welch's unequal-variance t-test of mean(x) = mean(y): the t
// statistic, the Welch-Satterthwaite degrees of freedom and the two-sided
// p-value. Samples need at least 2 values each.
func WelchT(x, y []float64) (t, df, p float64) {
	if len(x) < 2 || len(y) < 2 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	m1, v1 := stat.MeanVariance(x, nil)
	m2, v2 := stat.MeanVariance(y, nil)
	a, b := v1/float64(len(x)), v2/float64(len(y))
	if a+b == 0 {
		if m1 == m2 {
			return 0, math.Inf(1), 1
		}
		return math.Copysign(math.Inf(1), m1-m2), math.Inf(1), 0
	}
	t = (m1 - m2) / math.Sqrt(a+b)
	df = (a + b) * (a + b) / (a*a/float64(len(x)-1) + b*b/float64(len(y)-1))
	p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return t, df, p
}
