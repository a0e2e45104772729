package navigation

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Config parameterises the trajectory generator. Defaults (DefaultConfig)
// are the study's.
type Config struct {
	Box       float64    // side of the square box centred on 0, m (2.2)
	Dt        float64    // time step, s (0.02)
	Steps     int        // steps per trajectory, T (100)
	SpeedB    float64    // Rayleigh scale of the speed, m/s (0.26*pi)
	TurnSigma float64    // sd of the turn rate, rad/s (11.52)
	WallDist  float64    // wall-avoidance distance, m (0.03)
	WallSlow  float64    // speed factor near a wall (0.25)
	Drift     float64    // biased condition: fraction of (anchor - position) added per step (0.05); 0 = unbiased
	Anchor    [2]float64 // biased condition: anchor point, m ((0, 0))
}

// DefaultConfig is the study's unbiased generator.
func DefaultConfig() Config {
	return Config{Box: 2.2, Dt: 0.02, Steps: 100, SpeedB: 0.26 * math.Pi, TurnSigma: 11.52, WallDist: 0.03, WallSlow: 0.25}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case !(c.Box > 0):
		return fmt.Errorf("box = %v: want > 0", c.Box)
	case !(c.Dt > 0):
		return fmt.Errorf("dt = %v: want > 0", c.Dt)
	case c.Steps < 1:
		return fmt.Errorf("steps = %d: want >= 1", c.Steps)
	case !(c.SpeedB > 0):
		return fmt.Errorf("speed_b = %v: want > 0", c.SpeedB)
	case !(c.TurnSigma >= 0):
		return fmt.Errorf("turn_sigma = %v: want >= 0", c.TurnSigma)
	case !(c.WallDist >= 0) || !(c.WallSlow >= 0 && c.WallSlow <= 1):
		return fmt.Errorf("wall_dist = %v, wall_slow = %v: want >= 0 and [0, 1]", c.WallDist, c.WallSlow)
	case !(c.Drift >= 0 && c.Drift < 1):
		return fmt.Errorf("drift = %v: want [0, 1)", c.Drift)
	}
	return nil
}

// Batch is B trajectories of T steps, time-major: element (t, b) of a
// per-step array with k values per trajectory is at [(t*B+b)*k].
type Batch struct {
	B, T  int
	Start []float64 // B x 2: position after the dropped first step (encoded as the initial state)
	Vel   []float64 // T x B x 2: displacement of each step (the network's input)
	Pos   []float64 // T x B x 2: position after each step (the targets)
	// WallHits counts steps on which wall avoidance fired (generator statistics).
	WallHits int
}

// Generate draws B trajectories from rng. Following the reference, it
// simulates T+1 steps and drops the first: Start is the position after
// step 1, Vel the next T displacements and Pos the T positions after them.
func (c Config) Generate(rng *rand.Rand, b int) *Batch {
	t := c.Steps
	out := &Batch{B: b, T: t, Start: make([]float64, 2*b), Vel: make([]float64, 2*t*b), Pos: make([]float64, 2*t*b)}
	half := c.Box / 2
	for i := 0; i < b; i++ {
		x := (rng.Float64()*2 - 1) * half
		y := (rng.Float64()*2 - 1) * half
		head := rng.Float64() * 2 * math.Pi
		for s := 0; s <= t; s++ {
			speed := c.SpeedB * math.Sqrt(-2*math.Log(1-rng.Float64())) // Rayleigh(b)
			turn := c.Dt * c.TurnSigma * rng.NormFloat64()
			if near, wallTurn := c.avoidWall(x, y, head); near {
				speed *= c.WallSlow
				turn += wallTurn
				out.WallHits++
			}
			dx, dy := speed*c.Dt*math.Cos(head), speed*c.Dt*math.Sin(head)
			if c.Drift > 0 {
				dx += c.Drift * (c.Anchor[0] - x)
				dy += c.Drift * (c.Anchor[1] - y)
			}
			x, y = x+dx, y+dy
			head = math.Mod(head+turn, 2*math.Pi)
			if s == 0 {
				out.Start[2*i], out.Start[2*i+1] = x, y
				continue
			}
			k := 2 * ((s-1)*b + i)
			out.Vel[k], out.Vel[k+1] = dx, dy
			out.Pos[k], out.Pos[k+1] = x, y
		}
	}
	return out
}

// avoidWall finds the nearest wall and, when closer than WallDist while
// heading toward it (|angle to the outward normal| < pi/2), returns the
// turn sign(a)*(pi/2 - |a|) that makes the heading parallel to the wall.
func (c Config) avoidWall(x, y, head float64) (bool, float64) {
	half := c.Box / 2
	// Distances to the walls at +x, +y, -x, -y and their outward normals' angles.
	dists := [4]float64{half - x, half - y, half + x, half + y}
	normals := [4]float64{0, math.Pi / 2, math.Pi, -math.Pi / 2}
	w := 0
	for i := 1; i < 4; i++ {
		if dists[i] < dists[w] {
			w = i
		}
	}
	a := wrap(head - normals[w])
	if dists[w] < c.WallDist && math.Abs(a) < math.Pi/2 {
		return true, math.Copysign(math.Pi/2-math.Abs(a), a)
	}
	return false, 0
}

// wrap maps an angle to [-pi, pi).
func wrap(a float64) float64 {
	a = math.Mod(a+math.Pi, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a - math.Pi
}
