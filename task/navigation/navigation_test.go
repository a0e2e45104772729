package navigation

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Statistics of the study's independent re-simulation (2,000 trajectories),
// matched within a few percent.
func TestUnbiasedGeneratorStatistics(t *testing.T) {
	c := DefaultConfig()
	b := c.Generate(rand.New(rand.NewPCG(1, 2)), 2000)
	var step, step2, sx, sxx float64
	outside, n := 0, 0
	maxOver := 0.0
	for i := 0; i < b.T*b.B; i++ {
		dx, dy := b.Vel[2*i], b.Vel[2*i+1]
		d := math.Hypot(dx, dy)
		step += d
		step2 += d * d
		x, y := b.Pos[2*i], b.Pos[2*i+1]
		sx += x
		sxx += x * x
		over := math.Max(math.Abs(x), math.Abs(y)) - c.Box/2
		if over > 0 {
			outside++
			maxOver = math.Max(maxOver, over)
		}
		n++
	}
	mean := step / float64(n)
	sd := math.Sqrt(step2/float64(n) - mean*mean)
	sdx := math.Sqrt(sxx/float64(n) - (sx/float64(n))*(sx/float64(n)))
	wall := float64(b.WallHits) / float64(b.B*(b.T+1))
	check := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
	check("mean step (m)", mean, 0.0197, 0.0006)
	check("sd step (m)", sd, 0.0109, 0.0006)
	check("sd of x (m)", sdx, 0.667, 0.02)
	check("wall rule rate", wall, 0.048, 0.005)
	check("fraction outside the box", float64(outside)/float64(n), 0.008, 0.004)
	if maxOver > 0.07 {
		t.Errorf("overshoot %.3f m > 0.07", maxOver)
	}
}

func TestSpeedAwayFromWalls(t *testing.T) {
	// Away from walls the speed is Rayleigh(b): mean b*sqrt(pi/2) ~ 1.02 m/s.
	c := DefaultConfig()
	b := c.Generate(rand.New(rand.NewPCG(3, 4)), 1000)
	var s float64
	n := 0
	for i := 1; i < b.T*b.B; i++ {
		if i < b.B { // previous position needed
			continue
		}
		px, py := b.Pos[2*(i-b.B)], b.Pos[2*(i-b.B)+1]
		if math.Max(math.Abs(px), math.Abs(py)) > c.Box/2-0.1 {
			continue
		}
		s += math.Hypot(b.Vel[2*i], b.Vel[2*i+1]) / c.Dt
		n++
	}
	want := c.SpeedB * math.Sqrt(math.Pi/2)
	if got := s / float64(n); math.Abs(got-want)/want > 0.02 {
		t.Fatalf("mean speed %.4f, want %.4f", got, want)
	}
}

func TestTurnVariance(t *testing.T) {
	// Without walls nearby, heading changes are N(0, (dt*sigma)^2): check
	// the variance of the change in direction between consecutive steps.
	c := DefaultConfig()
	c.Box = 1000 // walls never reached
	b := c.Generate(rand.New(rand.NewPCG(5, 6)), 500)
	var ss float64
	n := 0
	for s := 1; s < b.T; s++ {
		for i := 0; i < b.B; i++ {
			k0, k1 := 2*((s-1)*b.B+i), 2*(s*b.B+i)
			a0 := math.Atan2(b.Vel[k0+1], b.Vel[k0])
			a1 := math.Atan2(b.Vel[k1+1], b.Vel[k1])
			d := wrap(a1 - a0)
			ss += d * d
			n++
		}
	}
	want := (c.Dt * c.TurnSigma) * (c.Dt * c.TurnSigma)
	if got := ss / float64(n); math.Abs(got-want)/want > 0.05 {
		t.Fatalf("turn variance %.5f, want %.5f", got, want)
	}
}

func TestBiasedDriftPullsTowardAnchor(t *testing.T) {
	c := DefaultConfig()
	c.Drift = 0.05
	b := c.Generate(rand.New(rand.NewPCG(7, 8)), 2000)
	var r, step float64
	var radii []float64
	for s := 50; s < b.T; s++ {
		for i := 0; i < b.B; i++ {
			k := 2 * (s*b.B + i)
			rr := math.Hypot(b.Pos[k], b.Pos[k+1])
			r += rr
			radii = append(radii, rr)
		}
	}
	for i := 0; i < b.T*b.B; i++ {
		step += math.Hypot(b.Vel[2*i], b.Vel[2*i+1])
	}
	meanR := r / float64(len(radii))
	if math.Abs(meanR-0.325) > 0.015 {
		t.Errorf("mean radius over steps 50-99 = %.3f, want 0.325", meanR)
	}
	if ms := step / float64(b.T*b.B); math.Abs(ms-0.0178) > 0.0006 {
		t.Errorf("mean step %.4f, want 0.0178", ms)
	}
	// Moving the anchor moves the mean position with it.
	c.Anchor = [2]float64{0.5, -0.3}
	b = c.Generate(rand.New(rand.NewPCG(7, 8)), 1000)
	var mx, my float64
	for s := 50; s < b.T; s++ {
		for i := 0; i < b.B; i++ {
			k := 2 * (s*b.B + i)
			mx += b.Pos[k]
			my += b.Pos[k+1]
		}
	}
	n := float64(50 * b.B)
	if math.Abs(mx/n-0.5) > 0.03 || math.Abs(my/n+0.3) > 0.03 {
		t.Errorf("mean position (%.3f, %.3f), want near the anchor (0.5, -0.3)", mx/n, my/n)
	}
}

func TestPlaceCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	pc := NewPlaceCells(512, 2.2, 0.2, 0, rng)
	act := make([]float32, 512)
	var floor float64
	const n = 2000
	for range n {
		x, y := (rng.Float64()*2-1)*1.1, (rng.Float64()*2-1)*1.1
		pc.Encode(act, x, y)
		var s float64
		for _, v := range act {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Fatalf("row sums to %v", s)
		}
		dx, dy := pc.Decode(act, 3)
		floor += ((dx-x)*(dx-x) + (dy-y)*(dy-y)) / 2
		// Decoding exact targets recovers the position within cell spacing
		// (~2.2/sqrt(512) ~ 0.1 m).
		if math.Hypot(dx-x, dy-y) > 0.25 {
			t.Fatalf("decoded (%.3f, %.3f) for (%.3f, %.3f)", dx, dy, x, y)
		}
	}
	// The study's decoding floor with perfect outputs: ~0.0012 m^2 per coordinate.
	if f := floor / n; f < 0.0006 || f > 0.002 {
		t.Errorf("decoding floor %.5f m^2, want ~0.0012", f)
	}
	dog := NewPlaceCells(512, 2.2, 0.2, 2, rand.New(rand.NewPCG(9, 9)))
	dog.Encode(act, 0.1, 0.2)
	var s float64
	for _, v := range act {
		if v < 0 {
			t.Fatal("DoG code negative")
		}
		s += float64(v)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Fatalf("DoG sums to %v", s)
	}
}
