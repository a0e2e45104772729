package rnn

import (
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// GRU is the study's continuous-time gated recurrent network (Krishna et
// al., Eqs. A.3-A.6), no biases, noise added to the state after each step:
//
//	z_t = sigma(W_z x_t + U_z h_{t-1})             update gate
//	g_t = sigma(W_g x_t + U_g h_{t-1})             reset gate
//	u_t = W_h x_t + U_h (g_t * h_{t-1})            the reset multiplies h before the product
//	h_t = h_{t-1} + alpha (1 - z_t) (tanh(u_t) - h_{t-1}) + sigma_rec xi_t
//
// with alpha = Config.Alpha (dt/tau, 0.2 in the study). W_i = [W_z; W_g;
// W_h] (3H x n_in) and U_zg = [U_z; U_g] (2H x H) are stacked; h_0 = E c_0,
// y_t = W_out h_t. A discrete-time torch.nn.GRU (reset after the product,
// no leak) is another architecture. Config.Activation is unused (tanh).
type GRU struct {
	Cfg                     Config
	E, Wi, Uzg, Uh, Wout    *nn.Param
	t, b                    int
	x, c0                   *tensor.Mat
	h                       *tensor.Mat // (T+1)*B x H
	gi                      *tensor.Mat // T*B x 3H: W_i x
	p                       *tensor.Mat // B x 2H: U_zg h_{t-1}, one step
	gates                   *tensor.Mat // T*B x 3H: z, g, tanh(u)
	gh                      *tensor.Mat // T*B x H: g * h_{t-1}
	y                       *tensor.Mat
	dh                      *tensor.Mat // T*B x H
	dgi                     *tensor.Mat // T*B x 3H: d(W_i x)
	dgh                     *tensor.Mat // T*B x H: d(g * h_{t-1})
	du                      *tensor.Mat // T*B x H: d(W_h x + U_h (g * h_{t-1})), also in dgi's last block
	dp                      *tensor.Mat // T*B x 2H: d(U_zg h_{t-1})
	carry                   *tensor.Mat // B x H
	stepP, stepGH, stepQ, q *tensor.Mat
	stepGates               []float32
	// U_zg and U_h, transposed (Forward) or not (Backward), packed once
	// for the pass's time steps.
	uzgPacked, uhPacked kernels.PackedB
}

// NewGRU returns a GRU whose weight matrices are initialised like
// PyTorch's Linear layers (uniform ±1/sqrt(fan_in)), as in the study's
// code: W_i from n_in, U_zg and U_h from H.
func NewGRU(cfg Config, rng *rand.Rand) (*GRU, error) {
	cfg.Activation = "tanh"
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := cfg.NRec
	g := &GRU{Cfg: cfg,
		E: nn.NewParam("E", h, cfg.NInit), Wi: nn.NewParam("W_i", 3*h, cfg.NIn), Uzg: nn.NewParam("U_zg", 2*h, h),
		Uh: nn.NewParam("U_h", h, h), Wout: nn.NewParam("W_out", cfg.NOut, h)}
	for _, p := range g.Params() {
		bound := 1 / math.Sqrt(float64(p.Value.Cols))
		for i := range p.Value.Data {
			p.Value.Data[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	return g, nil
}

// Params lists E, W_i, U_zg, U_h, W_out.
func (g *GRU) Params() []*nn.Param { return []*nn.Param{g.E, g.Wi, g.Uzg, g.Uh, g.Wout} }

// Config returns the configuration.
func (g *GRU) Config() Config { return g.Cfg }

func (g *GRU) ensure(t, b int) {
	if g.t == t && g.b == b {
		return
	}
	c, h := g.Cfg, g.Cfg.NRec
	g.t, g.b = t, b
	g.x = tensor.New(t*b, c.NIn)
	g.h = tensor.New((t+1)*b, h)
	g.gi, g.gates = tensor.New(t*b, 3*h), tensor.New(t*b, 3*h)
	g.p, g.q = tensor.New(b, 2*h), tensor.New(b, h)
	g.gh = tensor.New(t*b, h)
	g.y = tensor.New(t*b, c.NOut)
	g.dh = tensor.New(t*b, h)
	g.dgi, g.dgh, g.dp, g.du = tensor.New(t*b, 3*h), tensor.New(t*b, h), tensor.New(t*b, 2*h), tensor.New(t*b, h)
	g.carry = tensor.New(b, h)
}

// gruGates computes, for rows of states hPrev with input parts gi (rows x
// 3H, nil for zero input) and recurrent parts p = U_zg h (rows x 2H), the
// gates z and g into gates (rows x 3H) and the reset state g*h into gh.
// A gate is float32(1 / (1 + exp(-a))) in float64; a row's exponentials
// are taken together (kernels.Exp: math.Exp's bits, four at a time).
func gruGates(gates, gh, hPrev, gi, p []float32, rows, h int) {
	var stack [2048]float64
	e := kernels.Scratch(stack[:], 2*h)
	for i := 0; i < rows; i++ {
		o, po := i*3*h, i*2*h
		for j := 0; j < h; j++ {
			az, ag := p[po+j], p[po+h+j]
			if gi != nil {
				az, ag = az+gi[o+j], ag+gi[o+h+j]
			}
			e[j], e[h+j] = -float64(az), -float64(ag)
		}
		kernels.Exp(e, e)
		for j := 0; j < h; j++ {
			z, gg := float32(1/(1+e[j])), float32(1/(1+e[h+j]))
			gates[o+j], gates[o+h+j] = z, gg
			gh[i*h+j] = gg * hPrev[i*h+j]
		}
	}
}

// gruState finishes the step: n = tanh(W_h x + U_h (g*h)) with q = U_h
// (g*h), then h = h + alpha (1 - z)(n - h).
func gruState(dst, gates, hPrev, gi, q []float32, rows, h int, alpha float32) {
	for i := 0; i < rows; i++ {
		o := i * 3 * h
		for j := 0; j < h; j++ {
			u := q[i*h+j]
			if gi != nil {
				u += gi[o+2*h+j]
			}
			n := float32(math.Tanh(float64(u)))
			gates[o+2*h+j] = n
			hp := hPrev[i*h+j]
			dst[i*h+j] = hp + alpha*(1-gates[o+j])*(n-hp)
		}
	}
}

// Forward runs the sequence; see CTRNN.Forward.
func (g *GRU) Forward(x, c0 *tensor.Mat, noise *rand.Rand) *tensor.Mat {
	b := c0.Rows
	t := x.Rows / b
	g.ensure(t, b)
	c, h := g.Cfg, g.Cfg.NRec
	g.x.Copy(x)
	fillNoise(g.x.Data, c.SigmaIn, c.Noise, noise)
	g.c0 = c0
	h0 := g.h.RowRange(0, b)
	tensor.MatMulN(g.Cfg.Workers, &h0, c0, false, g.E.Value, true, 1, 0)
	tensor.MatMulN(g.Cfg.Workers, g.gi, g.x, false, g.Wi.Value, true, 1, 0)
	// U^T packed once for every time step.
	tensor.PackB(&g.uzgPacked, g.Uzg.Value, true)
	tensor.PackB(&g.uhPacked, g.Uh.Value, true)
	for s := 0; s < t; s++ {
		prev := g.h.RowRange(s*b, (s+1)*b)
		cur := g.h.RowRange((s+1)*b, (s+2)*b)
		gis := g.gi.RowRange(s*b, (s+1)*b)
		gts := g.gates.RowRange(s*b, (s+1)*b)
		ghs := g.gh.RowRange(s*b, (s+1)*b)
		tensor.MatMulPacked(g.Cfg.Workers, g.p, &prev, false, &g.uzgPacked, 1, 0)
		gruGates(gts.Data, ghs.Data, prev.Data, gis.Data, g.p.Data, b, h)
		tensor.MatMulPacked(g.Cfg.Workers, g.q, &ghs, false, &g.uhPacked, 1, 0)
		gruState(cur.Data, gts.Data, prev.Data, gis.Data, g.q.Data, b, h, float32(c.Alpha))
		fillNoise(cur.Data, c.SigmaRec, c.Noise, noise)
	}
	hs := g.h.RowRange(b, (t+1)*b)
	tensor.MatMulN(g.Cfg.Workers, g.y, &hs, false, g.Wout.Value, true, 1, 0)
	fillNoise(g.y.Data, c.SigmaOut, c.Noise, noise)
	return g.y
}

// Hidden returns h_1..h_T of the last Forward.
func (g *GRU) Hidden() *tensor.Mat {
	h := g.h.RowRange(g.b, (g.t+1)*g.b)
	return &h
}

// Backward accumulates gradients by BPTT. With q = dL/dh_t, a = alpha:
//
//	dn = q a (1-z),  dz = -q a (n - h_{t-1}),  du = dn (1 - n^2)
//	d(g*h) = du U_h,  dg = d(g*h) h_{t-1},  da_z = dz z (1-z),  da_g = dg g (1-g)
//	dL/dh_{t-1} = q (1 - a (1-z)) + d(g*h) g + [da_z, da_g] U_zg
func (g *GRU) Backward(dy *tensor.Mat) {
	t, b, h := g.t, g.b, g.Cfg.NRec
	alpha := float32(g.Cfg.Alpha)
	hs := g.h.RowRange(b, (t+1)*b)
	tensor.MatMulN(g.Cfg.Workers, g.Wout.Grad, dy, true, &hs, false, 1, 1)
	tensor.MatMulN(g.Cfg.Workers, g.dh, dy, false, g.Wout.Value, false, 1, 0)
	g.carry.Zero()
	tensor.PackB(&g.uzgPacked, g.Uzg.Value, false) // U, once for every time step
	tensor.PackB(&g.uhPacked, g.Uh.Value, false)
	for s := t - 1; s >= 0; s-- {
		dhs := g.dh.RowRange(s*b, (s+1)*b)
		prev := g.h.RowRange(s*b, (s+1)*b)
		gts := g.gates.RowRange(s*b, (s+1)*b)
		dgi := g.dgi.RowRange(s*b, (s+1)*b)
		dgh := g.dgh.RowRange(s*b, (s+1)*b)
		dp := g.dp.RowRange(s*b, (s+1)*b)
		du := g.du.RowRange(s*b, (s+1)*b)
		// q = dL/dh_t; the direct path to h_{t-1}, and du.
		for i := 0; i < b; i++ {
			o := i * 3 * h
			for j := 0; j < h; j++ {
				q := dhs.Data[i*h+j] + g.carry.Data[i*h+j]
				z, n := gts.Data[o+j], gts.Data[o+2*h+j]
				hp := prev.Data[i*h+j]
				d := q * alpha * (1 - z) * (1 - n*n)
				dgi.Data[o+2*h+j], du.Data[i*h+j] = d, d
				dgi.Data[o+j] = -q * alpha * (n - hp) * z * (1 - z) // da_z
				g.carry.Data[i*h+j] = q * (1 - alpha*(1-z))
			}
		}
		tensor.MatMulPacked(g.Cfg.Workers, &dgh, &du, false, &g.uhPacked, 1, 0)
		for i := 0; i < b; i++ {
			o, po := i*3*h, i*2*h
			for j := 0; j < h; j++ {
				gg, hp, d := gts.Data[o+h+j], prev.Data[i*h+j], dgh.Data[i*h+j]
				dgi.Data[o+h+j] = d * hp * gg * (1 - gg) // da_g
				dp.Data[po+j], dp.Data[po+h+j] = dgi.Data[o+j], dgi.Data[o+h+j]
				g.carry.Data[i*h+j] += d * gg
			}
		}
		tensor.MatMulPacked(g.Cfg.Workers, g.carry, &dp, false, &g.uzgPacked, 1, 1)
	}
	hprev := g.h.RowRange(0, t*b)
	tensor.MatMulN(g.Cfg.Workers, g.Uzg.Grad, g.dp, true, &hprev, false, 1, 1)
	tensor.MatMulN(g.Cfg.Workers, g.Uh.Grad, g.du, true, g.gh, false, 1, 1)
	tensor.MatMulN(g.Cfg.Workers, g.Wi.Grad, g.dgi, true, g.x, false, 1, 1)
	tensor.MatMulN(g.Cfg.Workers, g.E.Grad, g.carry, true, g.c0, false, 1, 1)
}

// Encode sets h = E c0.
func (g *GRU) Encode(h, c0 *tensor.Mat) {
	tensor.MatMulN(g.Cfg.Workers, h, c0, false, g.E.Value, true, 1, 0)
}

// Step sets dst to the noise-free update of h with zero input.
func (g *GRU) Step(dst, h *tensor.Mat) {
	rows, n := h.Rows, g.Cfg.NRec
	p := tensor.Ensure(&g.stepP, rows, 2*n)
	gh := tensor.Ensure(&g.stepGH, rows, n)
	q := tensor.Ensure(&g.stepQ, rows, n)
	if cap(g.stepGates) < rows*3*n {
		g.stepGates = make([]float32, rows*3*n)
	}
	gates := g.stepGates[:rows*3*n]
	tensor.MatMulN(g.Cfg.Workers, p, h, false, g.Uzg.Value, true, 1, 0)
	gruGates(gates, gh.Data, h.Data, nil, p.Data, rows, n)
	tensor.MatMulN(g.Cfg.Workers, q, gh, false, g.Uh.Value, true, 1, 0)
	gruState(dst.Data, gates, h.Data, nil, q.Data, rows, n, float32(g.Cfg.Alpha))
}

// Output sets y = W_out h.
func (g *GRU) Output(y, h *tensor.Mat) {
	tensor.MatMulN(g.Cfg.Workers, y, h, false, g.Wout.Value, true, 1, 0)
}
