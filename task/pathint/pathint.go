package pathint

import (
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/internal/parallel"
	"github.com/circuitry-lab/circuitry/internal/topk"
	"github.com/circuitry-lab/circuitry/task/headdir"
	"github.com/circuitry-lab/circuitry/task/navigation"
)

// Task adapts the spatial and head-direction tasks to one training and
// analysis loop: inputs, target-cell codes, decoding, and the state space
// (2-D positions in the box, or angles).
type Task interface {
	NIn() int
	NCells() int
	Dim() int
	Periodic() bool
	// Sample draws a batch: inputs (T*B x n_in), initial codes (B x cells),
	// targets (T*B x cells) and true states (T*B x dim), time-major. It
	// fills and returns into when that is non-nil (a training loop's
	// buffer: no per-step allocation of the ~40 MB targets).
	Sample(rng *rand.Rand, b int, into *Batch) *Batch
	// Encode writes the target cells' code of one state into dst.
	Encode(dst []float32, state []float64)
	// Decode writes the decoded state of one output row into dst (top-3).
	Decode(dst []float64, y []float32)
	// SmoothDecode is a finer decoder for tiny displacements (drift): the
	// activity-weighted mean of the top-10 cells.
	SmoothDecode(dst []float64, y []float32)
	// Uniform draws n states uniformly over the state space; LogUniform is its log density.
	Uniform(rng *rand.Rand, n int) []float64
	LogUniform() float64
	// Extent is the plotting range of each coordinate.
	Extent() (lo, hi float64)
	// Tuning is the target cells' tuning: place-cell centres (cells x 2,
	// metres) or preferred headings (cells, radians).
	Tuning() []float64
}

// Batch is one batch of trajectories, time-major: inputs X (T*B x n_in),
// initial codes Init (B x cells), targets (T*B x cells), true states.
type Batch struct {
	T, B    int
	X       []float32
	Init    []float32
	Target  []float32
	Truth   []float64
	StartSt []float64 // B x dim
}

// reuse returns into (or a new batch) sized for T x B with n_in inputs
// and c cells, keeping its buffers when they are large enough.
func (into *Batch) reuse(t, b, nIn, c int) *Batch {
	nb := into
	if nb == nil {
		nb = &Batch{}
	}
	grow := func(s []float32, n int) []float32 {
		if cap(s) < n {
			return make([]float32, n)
		}
		return s[:n]
	}
	nb.T, nb.B = t, b
	nb.X, nb.Init, nb.Target = grow(nb.X, t*b*nIn), grow(nb.Init, b*c), grow(nb.Target, t*b*c)
	return nb
}

// encodeRows fills rows of dst (n x cells) in parallel; encode(i, row) fills row i.
func encodeRows(n, cells int, dst []float32, encode func(i int, row []float32)) {
	parallel.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			encode(i, dst[i*cells:(i+1)*cells])
		}
	})
}

// NewSpatial adapts the navigation task gen with its place cells.
func NewSpatial(gen navigation.Config, cells *navigation.PlaceCells) *Spatial {
	return &Spatial{gen: gen, cells: cells}
}

// Spatial is the spatial navigation task: 2-D positions in the box.
type Spatial struct {
	gen   navigation.Config
	cells *navigation.PlaceCells
}

func (s *Spatial) NIn() int { return 2 }

func (s *Spatial) NCells() int { return s.cells.N() }

func (s *Spatial) Dim() int { return 2 }

func (s *Spatial) Periodic() bool { return false }

func (s *Spatial) Sample(rng *rand.Rand, b int, into *Batch) *Batch {
	tr := s.gen.Generate(rng, b)
	n, c := tr.T*b, s.cells.N()
	nb := into.reuse(tr.T, b, 2, c)
	nb.Truth, nb.StartSt = tr.Pos, tr.Start
	for i, v := range tr.Vel {
		nb.X[i] = float32(v)
	}
	encodeRows(b, c, nb.Init, func(i int, row []float32) { s.cells.Encode(row, tr.Start[2*i], tr.Start[2*i+1]) })
	encodeRows(n, c, nb.Target, func(i int, row []float32) { s.cells.Encode(row, tr.Pos[2*i], tr.Pos[2*i+1]) })
	return nb
}

func (s *Spatial) Encode(dst []float32, state []float64) { s.cells.Encode(dst, state[0], state[1]) }

func (s *Spatial) Decode(dst []float64, y []float32) { dst[0], dst[1] = s.cells.Decode(y, 3) }

func (s *Spatial) SmoothDecode(dst []float64, y []float32) {
	idx := topIndices(y, 10)
	var wx, wy, w float64
	for _, i := range idx {
		v := math.Max(float64(y[i]), 0)
		wx += v * s.cells.Centres[2*i]
		wy += v * s.cells.Centres[2*i+1]
		w += v
	}
	if w == 0 {
		s.Decode(dst, y)
		return
	}
	dst[0], dst[1] = wx/w, wy/w
}

func (s *Spatial) Uniform(rng *rand.Rand, n int) []float64 {
	out := make([]float64, 2*n)
	for i := range out {
		out[i] = (rng.Float64()*2 - 1) * s.gen.Box / 2
	}
	return out
}

func (s *Spatial) LogUniform() float64 { return -2 * math.Log(s.gen.Box) }

func (s *Spatial) Extent() (float64, float64) { return -s.gen.Box / 2, s.gen.Box / 2 }

func (s *Spatial) Tuning() []float64 { return s.cells.Centres }

// NewHeadDir adapts the head-direction task gen with its cells.
func NewHeadDir(gen headdir.Config, cells *headdir.Cells) *HeadDir {
	return &HeadDir{gen: gen, cells: cells}
}

// HeadDir is the head-direction task: angles on the circle.
type HeadDir struct {
	gen   headdir.Config
	cells *headdir.Cells
}

func (h *HeadDir) NIn() int { return 1 }

func (h *HeadDir) NCells() int { return h.cells.N() }

func (h *HeadDir) Dim() int { return 1 }

func (h *HeadDir) Tuning() []float64 { return h.cells.Pref }

func (h *HeadDir) Periodic() bool { return true }

func (h *HeadDir) Sample(rng *rand.Rand, b int, into *Batch) *Batch {
	tr := h.gen.Generate(rng, b)
	n, c := tr.T*b, h.cells.N()
	nb := into.reuse(tr.T, b, 1, c)
	nb.Truth, nb.StartSt = tr.Heading, tr.Start
	for i, v := range tr.Turn {
		nb.X[i] = float32(v)
	}
	encodeRows(b, c, nb.Init, func(i int, row []float32) { h.cells.Encode(row, tr.Start[i]) })
	encodeRows(n, c, nb.Target, func(i int, row []float32) { h.cells.Encode(row, tr.Heading[i]) })
	return nb
}

func (h *HeadDir) Encode(dst []float32, state []float64) { h.cells.Encode(dst, state[0]) }

func (h *HeadDir) Decode(dst []float64, y []float32) { dst[0] = h.cells.Decode(y, 3) }

func (h *HeadDir) SmoothDecode(dst []float64, y []float32) {
	var sx, sy float64
	for _, i := range topIndices(y, 10) {
		v := math.Max(float64(y[i]), 0)
		sx += v * math.Cos(h.cells.Pref[i])
		sy += v * math.Sin(h.cells.Pref[i])
	}
	dst[0] = math.Atan2(sy, sx)
}

func (h *HeadDir) Uniform(rng *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = rng.Float64()*2*math.Pi - math.Pi
	}
	return out
}

func (h *HeadDir) LogUniform() float64 { return -math.Log(2 * math.Pi) }

func (h *HeadDir) Extent() (float64, float64) { return -math.Pi, math.Pi }

// topIndices returns the indices of the k largest values.
func topIndices(y []float32, k int) []int { return topk.Indices(make([]int, k), y) }
