package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestStepDistanceAndVariance(t *testing.T) {
	// Two trajectories of 4 steps: one moving 0.1 per step along x, one still.
	pos := []float64{
		0, 0, 5, 5,
		0.1, 0, 5, 5,
		0.2, 0, 5, 5,
		0.3, 0, 5, 5,
	}
	if got := StepDistance(pos, 2, 2, false); math.Abs(got-0.05) > 1e-12 {
		t.Fatalf("step distance %v, want 0.05", got)
	}
	// Variance of x over steps 0..3 for the mover = var(0, .1, .2, .3) = 0.016667; the still one 0.
	if got := TrajectoryVariance(pos, 2, 2, 0, false); math.Abs(got-0.0166667/2) > 1e-6 {
		t.Fatalf("variance %v", got)
	}
	// Angles across the wrap: -3.1 -> 3.1 is a step of 0.083, not 6.2.
	th := []float64{3.1, -3.1, 3.0}
	if got := StepDistance(th, 1, 1, true); math.Abs(got-(4*math.Pi-12.3)/2) > 1e-9 {
		t.Fatalf("angular step %v", got)
	}
	if got := MeanSignedStep([]float64{0, 0.1, 0.25}, 1); math.Abs(got-0.125) > 1e-12 {
		t.Fatalf("signed step %v", got)
	}
}

func TestExplainedVariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	// Rank-2 data in 5 dimensions plus tiny noise: 2 PCs explain ~all.
	n, m := 500, 5
	x := make([]float32, n*m)
	for i := 0; i < n; i++ {
		a, b := rng.NormFloat64()*3, rng.NormFloat64()
		for j := 0; j < m; j++ {
			x[i*m+j] = float32(a*float64(j+1) + b*float64(m-j) + 0.01*rng.NormFloat64())
		}
	}
	cum := ExplainedVariance(x, n, m)
	if len(cum) != m || cum[1] < 0.999 || math.Abs(cum[m-1]-1) > 1e-9 || cum[0] >= cum[1] {
		t.Fatalf("cumulative %v", cum)
	}
}

func TestDriftAlignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	wake, _ := NewKDE(gaussian2(rng, 3000, 0, 0, 0.5, 0.5), 2, 0)
	pos := gaussian2(rng, 200, 0, 0, 0.8, 0.8)
	toward := make([]float64, len(pos))
	away := make([]float64, len(pos))
	for i := range pos {
		toward[i] = -0.1 * pos[i]
		away[i] = 0.1 * pos[i]
	}
	c1, w1, n1 := DriftAlignment(pos, toward, 2, wake)
	c2, w2, _ := DriftAlignment(pos, away, 2, wake)
	if n1 != 200 || c1 < 0.9 || c2 > -0.9 || w1 < 0.9 || w2 > -0.9 {
		t.Fatalf("toward %.3f/%.3f (%d), away %.3f/%.3f", c1, w1, n1, c2, w2)
	}
}

// A nearly flat waking density (uniform square) has gradients that are
// estimator noise inside and point inward near the edges. Drift toward
// the centre near the edges and in random directions inside: the mean
// cosine is diluted by the interior, the gradient-weighted one is not.
func TestDriftAlignmentWeighting(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	uni := make([]float64, 2*4000)
	for i := range uni {
		uni[i] = 2*rng.Float64() - 1
	}
	wake, _ := NewKDE(uni, 2, 0)
	var pos, delta []float64
	for range 400 {
		x, y := 2*rng.Float64()-1, 2*rng.Float64()-1
		pos = append(pos, x, y)
		if math.Max(math.Abs(x), math.Abs(y)) > 0.85 { // edge: inward
			delta = append(delta, -0.1*x, -0.1*y)
		} else {
			a := 2 * math.Pi * rng.Float64()
			delta = append(delta, 0.1*math.Cos(a), 0.1*math.Sin(a))
		}
	}
	mean, weighted, _ := DriftAlignment(pos, delta, 2, wake)
	if !(weighted > 0.4 && weighted > mean+0.15) {
		t.Fatalf("mean cosine %.3f, weighted %.3f: want the weighted one clearly positive and above the mean", mean, weighted)
	}
}
