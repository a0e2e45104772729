// Package headdir generates the head-direction task of the
// offline-reactivation study: headings that change by Gaussian angular
// steps (counter-clockwise only in the biased condition), von Mises
// head-direction cell targets and circular top-k decoding.
//
// Units: seconds, radians.
package headdir

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/internal/topk"
	"github.com/circuitry-lab/circuitry/kernels"
)

// Config parameterises the generator; DefaultConfig is the study's.
type Config struct {
	Dt        float64 // time step, s (0.02)
	Steps     int     // steps per trajectory, T (100)
	TurnSigma float64 // sd of the turn rate, rad/s (11.52)
	Biased    bool    // all turns counter-clockwise (absolute value of each step)
	// DropFirstStep simulates T+1 steps and drops the first, as the
	// spatial generator does (circuitry's head-direction task until
	// 2026-12-06). Off: the authors' head-direction code, whose initial
	// heading is the first one drawn and whose T steps all follow it.
	DropFirstStep bool
}

// DefaultConfig is the unbiased generator.
func DefaultConfig() Config { return Config{Dt: 0.02, Steps: 100, TurnSigma: 11.52} }

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case !(c.Dt > 0):
		return fmt.Errorf("dt = %v: want > 0", c.Dt)
	case c.Steps < 1:
		return fmt.Errorf("steps = %d: want >= 1", c.Steps)
	case !(c.TurnSigma >= 0):
		return fmt.Errorf("turn_sigma = %v: want >= 0", c.TurnSigma)
	}
	return nil
}

// Batch is B trajectories of T steps, time-major (index t*B+b).
type Batch struct {
	B, T    int
	Start   []float64 // B: heading after the dropped first step
	Turn    []float64 // T x B: angular change of each step (the input)
	Heading []float64 // T x B: heading after each step, in [-pi, pi)
}

// Generate draws B trajectories: a heading uniform in [0, 2 pi), then T
// turns (with DropFirstStep, T+1 turns of which the first only moves the
// start).
func (c Config) Generate(rng *rand.Rand, b int) *Batch {
	t := c.Steps
	out := &Batch{B: b, T: t, Start: make([]float64, b), Turn: make([]float64, t*b), Heading: make([]float64, t*b)}
	for i := 0; i < b; i++ {
		h := rng.Float64() * 2 * math.Pi
		first := 0
		if !c.DropFirstStep {
			h, first = Wrap(h), 1
			out.Start[i] = h
		}
		for s := first; s <= t; s++ {
			d := c.Dt * c.TurnSigma * rng.NormFloat64()
			if c.Biased {
				d = math.Abs(d)
			}
			h = Wrap(h + d)
			if s == 0 {
				out.Start[i] = h
				continue
			}
			out.Turn[(s-1)*b+i] = d
			out.Heading[(s-1)*b+i] = h
		}
	}
	return out
}

// Wrap maps an angle to [-pi, pi).
func Wrap(a float64) float64 {
	a = math.Mod(a+math.Pi, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a - math.Pi
}

// Cells are n head-direction cells with preferred angles evenly spaced on
// [-pi, pi] (both ends, as the authors' code spaces them: the cells at -pi
// and pi are one angle) or, open, on [-pi, pi) (circuitry's until
// 2026-12-06), and von Mises tuning exp(kappa (cos(theta - mu) - 1)),
// peak 1, kappa = 1/spread^2.
type Cells struct {
	Pref       []float64
	Kappa      float64
	cosP, sinP []float64 // cos and sin of Pref: cos(t - m) = cos t cos m + sin t sin m
}

// NewCells returns n cells with tuning spread (radians; the study: pi/6),
// spaced on [-pi, pi], or on [-pi, pi) when open.
func NewCells(n int, spread float64, open bool) *Cells {
	c := &Cells{Pref: make([]float64, n), Kappa: 1 / (spread * spread)}
	c.cosP, c.sinP = make([]float64, n), make([]float64, n)
	intervals := float64(max(n-1, 1))
	if open {
		intervals = float64(n)
	}
	for i := range c.Pref {
		c.Pref[i] = -math.Pi + 2*math.Pi*float64(i)/intervals
		c.sinP[i], c.cosP[i] = math.Sincos(c.Pref[i])
	}
	return c
}

// N is the number of cells.
func (c *Cells) N() int { return len(c.Pref) }

// Encode writes the population code of heading theta into dst.
func (c *Cells) Encode(dst []float32, theta float64) {
	st, ct := math.Sincos(theta)
	var stack [1024]float64 // the study's 512 cells fit: no allocation per row
	e := kernels.Scratch(stack[:], len(c.Pref))
	kernels.VonMisesExponent(e, c.cosP, c.sinP, ct, st, c.Kappa)
	kernels.Exp(e, e) // math.Exp's bits, four at a time
	kernels.Narrow(dst[:len(e)], e)
}

// Decode returns the circular mean of the preferred angles of the k most
// active cells.
func (c *Cells) Decode(act []float32, k int) float64 {
	var buf [16]int
	var s, co float64
	for _, i := range topk.Indices(buf[:min(k, len(buf))], act) {
		s += math.Sin(c.Pref[i])
		co += math.Cos(c.Pref[i])
	}
	return math.Atan2(s, co)
}
