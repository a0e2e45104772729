package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Known Clopper-Pearson intervals (binomial tails solved by bisection):
// 0/120, 43/120, 10/10, 3/10.
func TestClopperPearson(t *testing.T) {
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{{0, 120, 0, 0.03029}, {43, 120, 0.27288, 0.45096}, {10, 10, 0.69150, 1}, {3, 10, 0.06674, 0.65245}} {
		lo, hi := ClopperPearson(c.k, c.n, 0.95)
		if math.Abs(lo-c.lo) > 2e-4 || math.Abs(hi-c.hi) > 2e-4 {
			t.Errorf("%d/%d: [%.5f, %.5f], want [%.5f, %.5f]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, _ := ClopperPearson(3, 2, 0.95); !math.IsNaN(lo) {
		t.Error("k > n gave an interval")
	}
}

// The bootstrap interval of a mean covers the true mean at about its
// nominal rate (n = 30 normal draws, 95%: the percentile interval
// under-covers slightly at this n; 400 repetitions put the rate within
// about +-2.5 points), and is deterministic given its seed.
func TestBootstrapCICoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	covered, reps := 0, 400
	for r := 0; r < reps; r++ {
		x := make([]float64, 30)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		stat := func(idx []int) float64 {
			s := 0.0
			for _, i := range idx {
				s += x[i]
			}
			return s / float64(len(idx))
		}
		_, lo, hi := BootstrapCI(len(x), 1000, 0.95, uint64(r), stat)
		_, lo2, hi2 := BootstrapCI(len(x), 1000, 0.95, uint64(r), stat)
		if lo != lo2 || hi != hi2 {
			t.Fatal("same seed, different interval")
		}
		if lo < 0 && 0 < hi {
			covered++
		}
	}
	if rate := float64(covered) / float64(reps); rate < 0.89 || rate > 0.99 {
		t.Fatalf("coverage %.3f, want about 0.95", rate)
	}
}
