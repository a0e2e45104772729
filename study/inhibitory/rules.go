package inhibitory

import (
	"fmt"
	"math"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
)

// The decision rules of the study-1 verdicts. Every comparison is a
// statistic over hyper-parameter configurations (the study's unit of
// variability) with a percentile bootstrap interval over configurations
// (resampled jointly across conditions and eps, so pairs stay paired);
// each bar below is a number the study reports, fixed before any of
// circuitry's runs were judged with it.
const (
	// bootstrapSeed makes every interval the same on every machine and run.
	bootstrapSeed = 20261206
	// directionalConf: two-sided 95% intervals for directional claims.
	directionalConf = 0.95
	// equivalenceConf: 90% intervals for equivalence claims, i.e. two
	// one-sided tests at 5% each (TOST).
	equivalenceConf = 0.90
	// equivalenceMargin (accuracy points): the smallest paired mean
	// difference the study calls a real difference, I-Norm w/ GradNorm -
	// E-only LN+ = +0.31 at eps 0.25 and 0.5 (Mann-Whitney p < 0.01;
	// docs/science/inhibitory-normalization.md, paired means). A condition "indistinguishable from LN+" must be closer
	// to it than that; a claimed difference of unknown size must be at least
	// that large to count as the study's effect.
	equivalenceMargin = 0.31
	// minConfigs: fewer configurations leave a bootstrap interval that
	// says nothing (5 units have 126 distinct resamples).
	minConfigs = 5
)

// bootstrapResamples per interval (a variable only so the calibration
// test can afford hundreds of verdict tables).
var bootstrapResamples = 4000

// studyPairedMeans are the study's mean paired differences A - B over its
// 30 configurations at eps 0, 0.25, 0.5, 0.75 (inhibitory-normalization-
// results.md, "Paired (same-config) comparisons"; I-Norm over the
// configurations where it did not collapse).
var studyPairedMeans = map[[2]string][4]float64{
	{"ei_ln", "ei"}:        {0.94, 1.07, 1.59, 2.38},
	{"inorm_full", "e_ln"}: {0.11, 0.31, 0.31, 0.37},
	{"inorm", "e_ln"}:      {-1.78, -2.13, -3.53, -4.38},
	{"e_ln", "ei_ln"}:      {0.35, 0.40, 0.71, 1.16},
}

// studyPairedMean is the study's mean difference of pair at eps, NaN
// where the study gives none.
func studyPairedMean(a, b string, eps float64) float64 {
	v, ok := studyPairedMeans[[2]string{a, b}]
	if !ok {
		return math.NaN()
	}
	for i, e := range studyEps {
		if e == eps {
			return v[i]
		}
	}
	return math.NaN()
}

// studyEps are the study's luminosity bounds.
var studyEps = []float64{0, 0.25, 0.5, 0.75}

// interval is an estimate with its bootstrap interval.
type interval struct{ est, lo, hi float64 }

// String prints the estimate and its interval; a statistic that needs more
// configurations than the scope holds (NaN) says so instead of printing NaN.
func (iv interval) String() string {
	switch {
	case math.IsNaN(iv.est):
		return fmt.Sprintf("n/a [fewer than %d configurations]", minConfigs)
	case !iv.valid():
		return fmt.Sprintf("%+.2f [no interval: too few configurations in the resamples]", iv.est)
	}
	return fmt.Sprintf("%+.2f [%+.2f, %+.2f]", iv.est, iv.lo, iv.hi)
}

func (iv interval) valid() bool { return !math.IsNaN(iv.lo) && !math.IsNaN(iv.hi) }

// bootstrap is the statistic over n configurations with its interval.
func bootstrap(n int, conf float64, stat func(idx []int) float64) interval {
	est, lo, hi := analysis.BootstrapCI(n, bootstrapResamples, conf, bootstrapSeed, stat)
	return interval{est, lo, hi}
}

// directional judges "the effect has sign s (+1 or -1)" on its 95%
// interval: pass when the interval excludes zero on the claimed side; fail
// when it excludes the study's own effect (or, where the study gives no
// size, every effect of at least equivalenceMargin) and does not show the
// claimed direction; inconclusive when it holds both zero and the study's
// effect.
func directional(iv interval, s, study float64) experiment.Outcome {
	lo, hi := s*iv.lo, s*iv.hi
	if s < 0 {
		lo, hi = hi, lo
	}
	target := s * study
	if math.IsNaN(study) {
		target = equivalenceMargin
	}
	switch {
	case lo > 0:
		return experiment.Pass
	case hi < target:
		return experiment.Fail
	}
	return experiment.Inconclusive
}

// equivalent judges "the statistic lies in (low, high)" on its 90%
// interval (TOST): pass inside, fail when the interval lies wholly outside
// the region, inconclusive when it straddles an edge.
func equivalent(iv interval, low, high float64) experiment.Outcome {
	switch {
	case iv.lo > low && iv.hi < high:
		return experiment.Pass
	case iv.hi <= low || iv.lo >= high:
		return experiment.Fail
	}
	return experiment.Inconclusive
}

// rate is k of n with its exact 95% interval.
type rate struct {
	k, n   int
	lo, hi float64
}

func newRate(k, n int) rate {
	lo, hi := analysis.ClopperPearson(k, n, 0.95)
	return rate{k, n, lo, hi}
}

func (r rate) String() string {
	return fmt.Sprintf("%d/%d = %.0f%% [%.0f%%, %.0f%%]", r.k, r.n, 100*float64(r.k)/float64(max(r.n, 1)), 100*r.lo, 100*r.hi)
}

// The study's collapse counts, pooled over its four eps (inhibitory-
// normalization-results.md, "runs at 10 %"): I-Norm 9+12+13+9 = 43 of 120
// (per eps 30-43%), I-Norm w/ GradNorm 0 of 120.
var (
	studyINormCollapse    = newRate(43, 120)
	studyGradNormCollapse = newRate(0, 120)
)
