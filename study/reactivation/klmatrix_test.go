package reactivation

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/tensor"
)

// box draws n positions uniform in the 2.2 m box; ring n positions at
// radius ~0.33 m (the biased task's central ring); blob n positions near
// one point.
func box(rng *rand.Rand, n int) []float64 {
	p := make([]float64, 2*n)
	for i := range p {
		p[i] = 2.2 * (rng.Float64() - 0.5)
	}
	return p
}

func ring(rng *rand.Rand, n int) []float64 {
	p := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		a, r := 2*math.Pi*rng.Float64(), 0.33+0.06*rng.NormFloat64()
		p[2*i], p[2*i+1] = r*math.Cos(a), r*math.Sin(a)
	}
	return p
}

func blob(rng *rand.Rand, n int, x, y float64) []float64 {
	p := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		p[2*i], p[2*i+1] = x+0.05*rng.NormFloat64(), y+0.05*rng.NormFloat64()
	}
	return p
}

// The matrix's block structure on distributions with known answers: a
// network whose quiescent states follow its own waking distribution has a
// small diagonal entry, the cross-bias and untrained entries are large,
// the uniform column is small for unbiased waking data, and as coded it
// is exactly ln 2.2 more. A no-noise network's own column is its sleep
// without noise (the authors'), the noise-added sleep an extra column; a
// network's entry against its own waking data is its KL, one value.
func TestKLMatrixBlockStructure(t *testing.T) {
	s := Default()
	s.Seeds, s.Conditions = []uint64{0}, []string{"noisy", "noisy_biased", "nonoise"}
	s.Network.Cells = 64
	s.Sleep.KLSamples, s.Sleep.KDEPoints = 1500, 2000
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 2000
	res := []*Result{
		{Condition: "noisy", KL: 0.071, wake: box(rng, n), quiet: box(rng, n), untrainedQuiet: blob(rng, n, 0.9, -0.9)},
		{Condition: "noisy_biased", KL: 0.052, wake: ring(rng, n), quiet: ring(rng, n), untrainedQuiet: blob(rng, n, 0.9, -0.9)},
		// Trained without noise: a frozen sleep without noise, a spread one with noise added.
		{Condition: "nonoise", KL: 5.1, wake: box(rng, n), quiet: blob(rng, n, 0, 0), quietAdded: box(rng, n), untrainedQuiet: blob(rng, n, 0.9, -0.9)},
	}
	m, err := klMatrix(s, res)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", m.markdown())
	small := func(w, q string, hi float64) {
		if v := m.At(w, q); !(v < hi) {
			t.Errorf("KL(%s quiescent || %s waking) = %.3f, want < %g", q, w, v, hi)
		}
	}
	large := func(w, q string, lo float64) {
		if v := m.At(w, q); !(v > lo) {
			t.Errorf("KL(%s quiescent || %s waking) = %.3f, want > %g", q, w, v, lo)
		}
	}
	if m.At("noisy", "noisy") != 0.071 || m.At("noisy_biased", "noisy_biased") != 0.052 || m.At("nonoise", "nonoise") != 5.1 {
		t.Errorf("own entries %v, %v, %v: want the networks' KLs", m.At("noisy", "noisy"), m.At("noisy_biased", "noisy_biased"), m.At("nonoise", "nonoise"))
	}
	large("noisy", "nonoise", 2)                    // slept without noise: the frozen blob
	small("noisy", "nonoise"+noiseAddedSuffix, 0.3) // the noise-added sleep
	small("noisy", colUniform, 0.3)
	large("noisy_biased", "noisy", 2)
	large("noisy", "noisy_biased", 1)
	large("noisy", colUntrained, 3)
	large("noisy_biased", colUntrained, 3)
	if d := m.At("noisy", colUniformCoded) - m.At("noisy", colUniform); math.Abs(d-math.Log(2.2)) > 1e-9 {
		t.Errorf("as coded - correct = %.6f, want ln 2.2", d)
	}
	if !math.IsNaN(m.At("noisy", "gru_noisy")) || len(m.NoiseAdded) != 1 {
		t.Errorf("absent column not NaN, or noise-added columns %v", m.NoiseAdded)
	}
}

// The block-accumulated covariance gives the PCA of all rows at once.
func TestCovarianceBlocksMatchPCA(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, m = 600, 12
	x := make([]float32, n*m)
	for i := 0; i < n; i++ {
		z := rng.NormFloat64()
		for j := 0; j < m; j++ {
			x[i*m+j] = float32(3 + z*float64(j+1)/4 + 0.3*rng.NormFloat64()) // offset: centring matters
		}
	}
	c := newCovariance(m)
	for lo := 0; lo < n; lo += 250 {
		hi := min(n, lo+250)
		c.add(tensor.FromSlice(hi-lo, m, x[lo*m:hi*m]))
	}
	got, want := c.cumulative(m), analysis.ExplainedVariance(x, n, m)
	if len(got) != m {
		t.Fatalf("%d PCs", len(got))
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-5 {
			t.Fatalf("PC%d: blocks %.6f, all rows %.6f", k+1, got[k], want[k])
		}
	}
	if want[0] < 0.8 {
		t.Fatalf("the test data should have one dominant PC, got %.3f", want[0])
	}
}

// A KDE's subset of a time-major run (t*B + b) keeps steps of every
// trajectory, about evenly (the strided subset it replaced kept every
// step of 20 of 200 trajectories), and the same ones on every call.
func TestSubsampleStatesCoversEveryTrajectory(t *testing.T) {
	const steps, b, d, limit = 1000, 200, 2, 20000
	pts := make([]float64, steps*b*d)
	for i := range pts {
		pts[i] = float64(i / d % b) // coordinate = trajectory index
	}
	sub := subsampleStates(pts, d, limit)
	if len(sub) != limit*d {
		t.Fatalf("%d states kept, want %d", len(sub)/d, limit)
	}
	count := make([]int, b)
	for i := 0; i < limit; i++ {
		count[int(sub[i*d])]++
	}
	for k, c := range count {
		if c < 60 || c > 140 { // 100 expected; binomial sd ~10
			t.Fatalf("trajectory %d has %d of the %d kept states", k, c, limit)
		}
	}
	again := subsampleStates(pts, d, limit)
	for i := range sub {
		if sub[i] != again[i] {
			t.Fatal("two calls kept different states")
		}
	}
}
