package rnn

import (
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// GRU is a gated recurrent network with PyTorch's gate equations, no
// biases (like the study's vanilla network), Gaussian or uniform noise
// added to the hidden state after each update:
//
//	r_t = sigma(W_ir x_t + W_hr h_{t-1})
//	z_t = sigma(W_iz x_t + W_hz h_{t-1})
//	n_t = tanh(W_in x_t + r_t * (W_hn h_{t-1}))
//	h_t = (1 - z_t) * n_t + z_t * h_{t-1} + sigma_rec xi_t
//
// W_i = [W_ir; W_iz; W_in] (3H x n_in) and W_h = [W_hr; W_hz; W_hn]
// (3H x H) are stacked as in torch.nn.GRU; h_0 = E c_0, y_t = W_out h_t.
// Config.Alpha and Activation are unused.
type GRU struct {
	Cfg             Config
	E, Wi, Wh, Wout *nn.Param

	t, b   int
	x, c0  *tensor.Mat
	h      *tensor.Mat // (T+1)*B x H
	gi     *tensor.Mat // T*B x 3H: W_i x
	gh     *tensor.Mat // T*B x 3H: W_h h_{t-1}
	gates  *tensor.Mat // T*B x 3H: r, z, n
	y      *tensor.Mat
	dh     *tensor.Mat // T*B x H
	dgi    *tensor.Mat // T*B x 3H: d(W_i x)
	dgh    *tensor.Mat // T*B x 3H: d(W_h h_{t-1})
	carry  *tensor.Mat // B x H
	stepGH *tensor.Mat
}

// NewGRU returns a GRU initialised like torch.nn.GRU (uniform ±1/sqrt(H))
// with E and W_out like Linear layers.
func NewGRU(cfg Config, rng *rand.Rand) (*GRU, error) {
	cfg.Alpha, cfg.Activation = 1, "tanh" // unused; keeps Validate meaningful
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := cfg.NRec
	g := &GRU{Cfg: cfg,
		E: nn.NewParam("E", h, cfg.NInit), Wi: nn.NewParam("W_i", 3*h, cfg.NIn),
		Wh: nn.NewParam("W_h", 3*h, h), Wout: nn.NewParam("W_out", cfg.NOut, h)}
	for _, p := range g.Params() {
		fan := p.Value.Cols
		if p == g.Wi || p == g.Wh {
			fan = h
		}
		bound := 1 / math.Sqrt(float64(fan))
		for i := range p.Value.Data {
			p.Value.Data[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	return g, nil
}

// Params lists E, W_i, W_h, W_out.
func (g *GRU) Params() []*nn.Param { return []*nn.Param{g.E, g.Wi, g.Wh, g.Wout} }

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
	g.gi, g.gh, g.gates = tensor.New(t*b, 3*h), tensor.New(t*b, 3*h), tensor.New(t*b, 3*h)
	g.y = tensor.New(t*b, c.NOut)
	g.dh = tensor.New(t*b, h)
	g.dgi, g.dgh = tensor.New(t*b, 3*h), tensor.New(t*b, 3*h)
	g.carry = tensor.New(b, h)
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// gruUpdate computes gates and the new state for one batch of rows:
// gi, gh are the input and recurrent pre-activations (rows x 3H).
func gruUpdate(dst, gates, hPrev, gi, gh []float32, rows, h int) {
	for i := 0; i < rows; i++ {
		o := i * 3 * h
		for j := 0; j < h; j++ {
			r := sigmoid(gi[o+j] + gh[o+j])
			z := sigmoid(gi[o+h+j] + gh[o+h+j])
			n := float32(math.Tanh(float64(gi[o+2*h+j] + r*gh[o+2*h+j])))
			if gates != nil {
				gates[o+j], gates[o+h+j], gates[o+2*h+j] = r, z, n
			}
			hp := hPrev[i*h+j]
			dst[i*h+j] = (1-z)*n + z*hp
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
	tensor.MatMul(&h0, c0, false, g.E.Value, true, 1, 0)
	tensor.MatMul(g.gi, g.x, false, g.Wi.Value, true, 1, 0)
	for s := 0; s < t; s++ {
		prev := g.h.RowRange(s*b, (s+1)*b)
		cur := g.h.RowRange((s+1)*b, (s+2)*b)
		ghs := g.gh.RowRange(s*b, (s+1)*b)
		gis := g.gi.RowRange(s*b, (s+1)*b)
		gts := g.gates.RowRange(s*b, (s+1)*b)
		tensor.MatMul(&ghs, &prev, false, g.Wh.Value, true, 1, 0)
		gruUpdate(cur.Data, gts.Data, prev.Data, gis.Data, ghs.Data, b, h)
		fillNoise(cur.Data, c.SigmaRec, c.Noise, noise)
	}
	hs := g.h.RowRange(b, (t+1)*b)
	tensor.MatMul(g.y, &hs, false, g.Wout.Value, true, 1, 0)
	fillNoise(g.y.Data, c.SigmaOut, c.Noise, noise)
	return g.y
}

// Hidden returns h_1..h_T of the last Forward.
func (g *GRU) Hidden() *tensor.Mat {
	h := g.h.RowRange(g.b, (g.t+1)*g.b)
	return &h
}

// Backward accumulates gradients by BPTT. With q = dL/dh_t:
//
//	dn = q (1-z),  dz = q (h_{t-1} - n),  da_n = dn (1 - n^2)
//	d(W_hn h) = da_n r,  dr = da_n (W_hn h),  da_r = dr r (1-r),  da_z = dz z (1-z)
//	dL/dh_{t-1} = q z + [da_r, da_z, da_n r] W_h
func (g *GRU) Backward(dy *tensor.Mat) {
	t, b, h := g.t, g.b, g.Cfg.NRec
	hs := g.h.RowRange(b, (t+1)*b)
	tensor.MatMul(g.Wout.Grad, dy, true, &hs, false, 1, 1)
	tensor.MatMul(g.dh, dy, false, g.Wout.Value, false, 1, 0)
	g.carry.Zero()
	for s := t - 1; s >= 0; s-- {
		dhs := g.dh.RowRange(s*b, (s+1)*b)
		prev := g.h.RowRange(s*b, (s+1)*b)
		gts := g.gates.RowRange(s*b, (s+1)*b)
		ghs := g.gh.RowRange(s*b, (s+1)*b)
		dgi := g.dgi.RowRange(s*b, (s+1)*b)
		dgh := g.dgh.RowRange(s*b, (s+1)*b)
		for i := 0; i < b; i++ {
			o := i * 3 * h
			for j := 0; j < h; j++ {
				q := dhs.Data[i*h+j] + g.carry.Data[i*h+j]
				r, z, n := gts.Data[o+j], gts.Data[o+h+j], gts.Data[o+2*h+j]
				hp := prev.Data[i*h+j]
				dn := q * (1 - z)
				dz := q * (hp - n)
				dan := dn * (1 - n*n)
				dr := dan * ghs.Data[o+2*h+j]
				dar := dr * r * (1 - r)
				daz := dz * z * (1 - z)
				dgi.Data[o+j], dgi.Data[o+h+j], dgi.Data[o+2*h+j] = dar, daz, dan
				dgh.Data[o+j], dgh.Data[o+h+j], dgh.Data[o+2*h+j] = dar, daz, dan*r
				g.carry.Data[i*h+j] = q * z
			}
		}
		tensor.MatMul(g.carry, &dgh, false, g.Wh.Value, false, 1, 1)
	}
	hprev := g.h.RowRange(0, t*b)
	tensor.MatMul(g.Wh.Grad, g.dgh, true, &hprev, false, 1, 1)
	tensor.MatMul(g.Wi.Grad, g.dgi, true, g.x, false, 1, 1)
	tensor.MatMul(g.E.Grad, g.carry, true, g.c0, false, 1, 1)
}

// Encode sets h = E c0.
func (g *GRU) Encode(h, c0 *tensor.Mat) { tensor.MatMul(h, c0, false, g.E.Value, true, 1, 0) }

// Step sets dst to the noise-free update of h with zero input.
func (g *GRU) Step(dst, h *tensor.Mat) {
	gh := tensor.Ensure(&g.stepGH, h.Rows, 3*g.Cfg.NRec)
	tensor.MatMul(gh, h, false, g.Wh.Value, true, 1, 0)
	gruUpdateNoInput(dst.Data, h.Data, gh.Data, h.Rows, g.Cfg.NRec)
}

func gruUpdateNoInput(dst, hPrev, gh []float32, rows, h int) {
	for i := 0; i < rows; i++ {
		o := i * 3 * h
		for j := 0; j < h; j++ {
			r := sigmoid(gh[o+j])
			z := sigmoid(gh[o+h+j])
			n := float32(math.Tanh(float64(r * gh[o+2*h+j])))
			dst[i*h+j] = (1-z)*n + z*hPrev[i*h+j]
		}
	}
}

// Output sets y = W_out h.
func (g *GRU) Output(y, h *tensor.Mat) { tensor.MatMul(y, h, false, g.Wout.Value, true, 1, 0) }
