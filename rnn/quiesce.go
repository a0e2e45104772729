package rnn

import (
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Net is what training and the offline analyses need from a recurrent
// network (CTRNN or GRU).
type Net interface {
	// Forward runs a time-major sequence (T*B x n_in) from initial codes
	// (B x n_init) and returns the outputs (T*B x n_out).
	Forward(x, c0 *tensor.Mat, noise *rand.Rand) *tensor.Mat
	// Backward accumulates parameter gradients from dL/dy.
	Backward(dy *tensor.Mat)
	Params() []*nn.Param
	// Hidden returns h_1..h_T of the last Forward (T*B x n_rec).
	Hidden() *tensor.Mat
	// Encode sets h = E c0.
	Encode(h, c0 *tensor.Mat)
	// Step sets dst to the noise-free update of h with zero input.
	Step(dst, h *tensor.Mat)
	// Output sets y = W_out h.
	Output(y, h *tensor.Mat)
	// Config returns the network's configuration.
	Config() Config
}

// Quiescence runs a trained network with its input removed.
type Quiescence struct {
	net   Net
	h, hn *tensor.Mat
	y     *tensor.Mat
}

// NewQuiescence prepares buffers for batches of b trajectories.
func NewQuiescence(n Net, b int) *Quiescence {
	c := n.Config()
	return &Quiescence{net: n, h: tensor.New(b, c.NRec), hn: tensor.New(b, c.NRec), y: tensor.New(b, c.NOut)}
}

// Run simulates steps steps with zero input from the encoded initial
// states c0 (B x n_init): h_t = Step(h_{t-1}) + sd xi_t, with xi of the
// given kind ("gaussian" or "uniform"). After each step visit receives the
// step index, the hidden states and the outputs (B x n_rec, B x n_out;
// valid only during the call).
func (q *Quiescence) Run(c0 *tensor.Mat, steps int, sd float64, kind string, rng *rand.Rand, visit func(step int, h, y *tensor.Mat)) {
	q.net.Encode(q.h, c0)
	for s := 0; s < steps; s++ {
		q.net.Step(q.hn, q.h)
		fillNoise(q.hn.Data, sd, kind, rng)
		q.h, q.hn = q.hn, q.h
		q.net.Output(q.y, q.h)
		visit(s, q.h, q.y)
	}
}

// Encode sets h = E c0.
func (n *CTRNN) Encode(h, c0 *tensor.Mat) {
	tensor.MatMulN(n.Cfg.Workers, h, c0, false, n.E.Value, true, 1, 0)
}

// Step sets dst = (1-alpha) h + alpha f(W_rec h) (of the normalised
// W_rec h with Normalize): the noise-free,
// input-free update. dst and h must not alias.
func (n *CTRNN) Step(dst, h *tensor.Mat) {
	u := tensor.Ensure(&n.stepU, h.Rows, h.Cols)
	tensor.MatMulN(n.Cfg.Workers, u, h, false, n.Wrec.Value, true, 1, 0)
	if n.Cfg.Normalize != "" {
		if cap(n.stepInv) < h.Rows {
			n.stepInv = make([]float32, h.Rows)
		}
		n.stepInv = n.stepInv[:h.Rows]
		normalizeRows(u.Data, n.stepInv, u.Data, h.Cols, n.Cfg.Normalize, n.Cfg.gain())
	}
	leakStep(dst.Data, h.Data, u.Data, float32(n.Cfg.Alpha), n.Cfg.Activation)
}

// Output sets y = W_out h.
func (n *CTRNN) Output(y, h *tensor.Mat) {
	tensor.MatMulN(n.Cfg.Workers, y, h, false, n.Wout.Value, true, 1, 0)
}

// Config returns the configuration.
func (n *CTRNN) Config() Config { return n.Cfg }
