package navigation

import (
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/internal/topk"
	"github.com/circuitry-lab/circuitry/kernels"
)

// PlaceCells are n Gaussian place fields with centres uniform in the box.
// The population code of a position p is a softmax over cells of
// -||p - c_i||^2 / (2 sigma^2) (it sums to 1). With a surround scale
// (DoG), a second softmax with variance scaled by Surround^2 is
// subtracted, the result shifted to be >= 0 and renormalised to sum 1.
type PlaceCells struct {
	Centres  []float64 // n x 2
	Sigma    float64   // field width, m (0.2)
	Surround float64   // DoG surround scale (2); 0 = plain softmax
}

// NewPlaceCells draws n centres uniform in a box of side box.
func NewPlaceCells(n int, box, sigma, surround float64, rng *rand.Rand) *PlaceCells {
	pc := &PlaceCells{Centres: make([]float64, 2*n), Sigma: sigma, Surround: surround}
	for i := range pc.Centres {
		pc.Centres[i] = (rng.Float64()*2 - 1) * box / 2
	}
	return pc
}

// N is the number of cells.
func (pc *PlaceCells) N() int { return len(pc.Centres) / 2 }

// Encode writes the population code of position (x, y) into dst (len N).
func (pc *PlaceCells) Encode(dst []float32, x, y float64) {
	softmax(dst, pc.Centres, x, y, pc.Sigma)
	if pc.Surround <= 0 {
		return
	}
	n := pc.N()
	sur := make([]float32, n) // DoG is an option off the training hot path
	softmax(sur, pc.Centres, x, y, pc.Sigma*pc.Surround)
	minV := float32(math.Inf(1))
	for i := range dst {
		dst[i] -= sur[i]
		minV = min(minV, dst[i])
	}
	var s float64
	for i := range dst {
		dst[i] -= minV
		s += float64(dst[i])
	}
	for i := range dst {
		dst[i] = float32(float64(dst[i]) / s)
	}
}

func softmax(dst []float32, centres []float64, x, y, sigma float64) {
	inv := 1 / (2 * sigma * sigma)
	var stack [1024]float64 // the study's 512 cells fit: no allocation per row
	e := kernels.Scratch(stack[:], len(dst))
	maxL := math.Inf(-1)
	for i := range e {
		dx, dy := x-centres[2*i], y-centres[2*i+1]
		e[i] = -(dx*dx + dy*dy) * inv
		maxL = max(maxL, e[i])
	}
	for i := range e {
		e[i] -= maxL
	}
	kernels.Exp(e, e) // math.Exp's bits, four at a time
	var s float64
	for i, v := range e {
		dst[i] = float32(v)
		s += v
	}
	inv32 := float32(1 / s)
	for i := range dst {
		dst[i] *= inv32
	}
}

// Decode returns the mean of the centres of the k most active units.
func (pc *PlaceCells) Decode(act []float32, k int) (x, y float64) {
	var buf [16]int
	idx := topk.Indices(buf[:min(k, len(buf))], act)
	for _, i := range idx {
		x += pc.Centres[2*i]
		y += pc.Centres[2*i+1]
	}
	return x / float64(len(idx)), y / float64(len(idx))
}
