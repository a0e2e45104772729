package rnn

import (
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/tensor"
)

// Quiescence runs a trained network with its input removed.
type Quiescence struct {
	net      *CTRNN
	h, hn, u *tensor.Mat
	y        *tensor.Mat
}

// NewQuiescence prepares buffers for batches of b trajectories.
func (n *CTRNN) NewQuiescence(b int) *Quiescence {
	c := n.Cfg
	return &Quiescence{net: n, h: tensor.New(b, c.NRec), hn: tensor.New(b, c.NRec), u: tensor.New(b, c.NRec), y: tensor.New(b, c.NOut)}
}

// Run simulates steps steps with zero input from the encoded initial
// states c0 (B x n_init): h_t = (1-alpha) h_{t-1} + alpha f(W_rec h_{t-1})
// + sd xi_t, with xi of the given kind ("gaussian" or "uniform"). After
// each step visit receives the step index, the hidden states and the
// outputs (B x n_rec, B x n_out; valid only during the call).
func (q *Quiescence) Run(c0 *tensor.Mat, steps int, sd float64, kind string, rng *rand.Rand, visit func(step int, h, y *tensor.Mat)) {
	n := q.net
	tensor.MatMul(q.h, c0, false, n.E.Value, true, 1, 0)
	alpha := float32(n.Cfg.Alpha)
	for s := 0; s < steps; s++ {
		tensor.MatMul(q.u, q.h, false, n.Wrec.Value, true, 1, 0)
		leakStep(q.hn.Data, q.h.Data, q.u.Data, alpha, n.Cfg.Activation)
		fillNoise(q.hn.Data, sd, kind, rng)
		q.h, q.hn = q.hn, q.h
		tensor.MatMul(q.y, q.h, false, n.Wout.Value, true, 1, 0)
		visit(s, q.h, q.y)
	}
}

// Drift sets dst to the noise-free, input-free one-step update of the
// states h (rows): dst = (1-alpha) h + alpha f(W_rec h). dst and h must
// not alias; u is scratch of the same shape.
func (n *CTRNN) Drift(dst, h, u *tensor.Mat) {
	tensor.MatMul(u, h, false, n.Wrec.Value, true, 1, 0)
	leakStep(dst.Data, h.Data, u.Data, float32(n.Cfg.Alpha), n.Cfg.Activation)
}

// Output sets y = W_out h.
func (n *CTRNN) Output(y, h *tensor.Mat) { tensor.MatMul(y, h, false, n.Wout.Value, true, 1, 0) }
