package headdir

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGenerator(t *testing.T) {
	c := DefaultConfig()
	b := c.Generate(rand.New(rand.NewPCG(1, 1)), 1000)
	var s, ss float64
	for i, d := range b.Turn {
		s += d
		ss += d * d
		if h := b.Heading[i]; h < -math.Pi || h >= math.Pi {
			t.Fatalf("heading %v not wrapped", h)
		}
	}
	n := float64(len(b.Turn))
	want := c.Dt * c.TurnSigma
	if math.Abs(s/n) > 0.005 || math.Abs(math.Sqrt(ss/n)-want)/want > 0.02 {
		t.Fatalf("turn mean %.4f sd %.4f, want 0 and %.4f", s/n, math.Sqrt(ss/n), want)
	}
	// Consistency: heading_t = wrap(heading_{t-1} + turn_t).
	for i := 0; i < b.B; i++ {
		prev := b.Start[i]
		for st := 0; st < b.T; st++ {
			k := st*b.B + i
			if d := Wrap(b.Heading[k] - Wrap(prev+b.Turn[k])); math.Abs(d) > 1e-9 {
				t.Fatalf("heading does not integrate the turns")
			}
			prev = b.Heading[k]
		}
	}
	c.Biased = true
	b = c.Generate(rand.New(rand.NewPCG(2, 2)), 1000)
	s = 0
	for _, d := range b.Turn {
		if d < 0 {
			t.Fatal("biased turn is clockwise")
		}
		s += d
	}
	// Mean of |N(0, sd)| = sd*sqrt(2/pi) ~ 0.184 rad: the study's ~0.18.
	if m := s / float64(len(b.Turn)); math.Abs(m-want*math.Sqrt(2/math.Pi)) > 0.004 {
		t.Fatalf("biased mean step %.4f", m)
	}
}

func TestCells(t *testing.T) {
	c := NewCells(512, math.Pi/6, false)
	act := make([]float32, 512)
	for _, theta := range []float64{-3.1, -1, 0, 0.5, 3.1} {
		c.Encode(act, theta)
		var peak float32
		for _, v := range act {
			peak = max(peak, v)
		}
		if math.Abs(float64(peak)-1) > 1e-3 { // peak 1 at the nearest preferred angle
			t.Fatalf("peak %v", peak)
		}
		if d := Wrap(c.Decode(act, 3) - theta); math.Abs(d) > 2*math.Pi/512 {
			t.Fatalf("decoded %v for %v", c.Decode(act, 3), theta)
		}
	}
}

func TestEncodeMatchesDefinition(t *testing.T) {
	c := NewCells(64, math.Pi/6, true)
	act := make([]float32, 64)
	for _, theta := range []float64{-3, -0.4, 1.2, 3.1} {
		c.Encode(act, theta)
		for i, mu := range c.Pref {
			want := math.Exp(c.Kappa * (math.Cos(theta-mu) - 1))
			if math.Abs(float64(act[i])-want) > 1e-6 {
				t.Fatalf("theta %v cell %d: %v, want %v", theta, i, act[i], want)
			}
		}
	}
}

// The authors' trajectories start at the first heading drawn (uniform in
// [0, 2 pi), wrapped) and draw exactly T turns; DropFirstStep spends one
// more turn before the start. Same stream: the authors' start is the
// first uniform draw, and the variant's start is that heading moved by a
// turn.
func TestFirstStepKeptOrDropped(t *testing.T) {
	c := DefaultConfig()
	c.Steps = 5
	rng := rand.New(rand.NewPCG(4, 4))
	h0 := Wrap(rng.Float64() * 2 * math.Pi)
	d0 := c.Dt * c.TurnSigma * rng.NormFloat64()
	b := c.Generate(rand.New(rand.NewPCG(4, 4)), 1)
	if b.Start[0] != h0 || b.Turn[0] != d0 {
		t.Fatalf("authors' start %v, first turn %v; want %v, %v", b.Start[0], b.Turn[0], h0, d0)
	}
	c.DropFirstStep = true
	b = c.Generate(rand.New(rand.NewPCG(4, 4)), 1)
	if math.Abs(Wrap(b.Start[0]-Wrap(h0+d0))) > 1e-12 || b.Turn[0] == d0 {
		t.Fatalf("dropped first step: start %v, want %v", b.Start[0], Wrap(h0+d0))
	}
}

// The authors space n cells over [-pi, pi] with both ends (the cells at
// -pi and pi share an angle); the open spacing covers [-pi, pi).
func TestCellSpacing(t *testing.T) {
	c := NewCells(512, math.Pi/6, false)
	if c.Pref[0] != -math.Pi || math.Abs(c.Pref[511]-math.Pi) > 1e-12 || math.Abs(c.Pref[1]-c.Pref[0]-2*math.Pi/511) > 1e-12 {
		t.Fatalf("closed spacing: %v %v %v", c.Pref[0], c.Pref[1], c.Pref[511])
	}
	o := NewCells(512, math.Pi/6, true)
	if o.Pref[0] != -math.Pi || math.Abs(o.Pref[511]-(math.Pi-2*math.Pi/512)) > 1e-12 {
		t.Fatalf("open spacing: %v %v", o.Pref[0], o.Pref[511])
	}
	if one := NewCells(1, 1, false); one.Pref[0] != -math.Pi {
		t.Fatalf("one cell at %v", one.Pref[0])
	}
}
