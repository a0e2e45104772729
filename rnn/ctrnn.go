package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Config describes a continuous-time RNN:
//
//	h_0 = E c_0
//	u_t = W_rec h_{t-1} + W_in x_t
//	h_t = (1 - alpha) h_{t-1} + alpha f(u_t) + sigma_rec xi_t
//	y_t = W_out h_t
//
// with alpha = dt/tau and no biases (the study's network).
//
// With Inhibitory > 0 the network obeys Dale's law: the last Inhibitory
// units are inhibitory, the others excitatory; every unit's outgoing
// recurrent weights (a column of W_rec) carry its sign, and only
// excitatory units project to the output (their W_out columns are zero
// for inhibitory units). Inputs and the initial-state encoder stay
// unconstrained: they stand for signals from outside the circuit.
// Project restores the signs after each optimiser step.
//
// With Normalize = "layer", f acts on the normalised drive LN(u_t) (zero
// mean, unit variance across units, no gain or bias): the population-wide
// subtractive and divisive inhibition that study 1's I-Norm interneurons
// learn to implement, here in its exact form. "divisive" divides the drive
// by its root mean square across units (divisive normalisation alone: the
// sign pattern, hence which units are active, is left to the weights).
type Config struct {
	NIn, NRec, NOut, NInit int
	Alpha                  float64 // dt/tau, in (0, 1]
	Activation             string  // "relu" or "tanh"
	SigmaRec               float64 // recurrent noise sd (sqrt of sigma2_rec)
	Noise                  string  // "gaussian" (zero mean, the theory) or "uniform" ([0, 1), the reference code)
	SigmaIn, SigmaOut      float64 // input and output noise sd
	Inhibitory             int     // Dale's law: number of inhibitory units (0 = unconstrained)
	Normalize              string  // "" (none), "layer" or "divisive": normalise the drive u_t before f
	NormGain               float64 // scale of the normalised drive (0 means 1): f(gain * norm(u_t))
	// Workers caps the goroutines of each product (0: as many as pay); 1
	// when networks train side by side, one per core. Results do not
	// depend on it.
	Workers int
}

// lnEps keeps the normalisation finite for a silent population.
const lnEps = 1e-5

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.NIn < 1 || c.NRec < 1 || c.NOut < 1 || c.NInit < 1:
		return fmt.Errorf("sizes n_in=%d n_rec=%d n_out=%d n_init=%d: want >= 1", c.NIn, c.NRec, c.NOut, c.NInit)
	case !(c.Alpha > 0 && c.Alpha <= 1):
		return fmt.Errorf("dt/tau = %v: want (0, 1] (dt must not exceed tau)", c.Alpha)
	case c.Activation != "relu" && c.Activation != "tanh":
		return fmt.Errorf("activation = %q: want relu or tanh", c.Activation)
	case c.Noise != "gaussian" && c.Noise != "uniform":
		return fmt.Errorf("noise = %q: want gaussian or uniform", c.Noise)
	case !(c.SigmaRec >= 0 && c.SigmaIn >= 0 && c.SigmaOut >= 0):
		return fmt.Errorf("noise sd rec=%v in=%v out=%v: want >= 0", c.SigmaRec, c.SigmaIn, c.SigmaOut)
	case c.Inhibitory < 0 || c.Inhibitory >= c.NRec:
		return fmt.Errorf("inhibitory = %d: want 0 (no Dale's law) to n_rec-1 = %d", c.Inhibitory, c.NRec-1)
	case c.Normalize != "" && c.Normalize != "layer" && c.Normalize != "divisive":
		return fmt.Errorf("normalize = %q: want \"\", layer or divisive", c.Normalize)
	case c.NormGain < 0:
		return fmt.Errorf("norm gain = %v: want >= 0 (0 means 1)", c.NormGain)
	case c.Normalize != "" && c.NRec < 2:
		return fmt.Errorf("normalize with n_rec = %d: want n_rec >= 2", c.NRec)
	}
	return nil
}

// CTRNN is the network with its parameters and BPTT buffers.
type CTRNN struct {
	Cfg                Config
	E, Win, Wrec, Wout *nn.Param // n_rec x n_init, n_rec x n_in, n_rec x n_rec, n_out x n_rec

	t, b       int
	x, c0      *tensor.Mat // input (T*B x n_in, noisy copy) and initial code (B x n_init)
	h          *tensor.Mat // (T+1)*B x n_rec: h_0 ... h_T
	u          *tensor.Mat // T*B x n_rec pre-activations
	z          *tensor.Mat // T*B x n_rec normalised drive (Normalize)
	invStd     []float32   // T*B inverse standard deviations of the drive (Normalize)
	y          *tensor.Mat // T*B x n_out
	dh, du     *tensor.Mat // T*B x n_rec
	carry, tmp *tensor.Mat // B x n_rec
	stepU      *tensor.Mat // scratch of Step
	stepInv    []float32   // scratch of Step (Normalize)
	// wrecPacked is W_rec^T (Forward) or W_rec (Backward) packed once for
	// the pass's time steps: the same bits as packing it per product.
	wrecPacked kernels.PackedB
	draws      []float64 // one step's noise draws (leakNoiseStep)
}

// New returns a network with PyTorch's default Linear initialisation
// (uniform in ±1/sqrt(fan_in)) for every matrix.
func New(cfg Config, rng *rand.Rand) (*CTRNN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &CTRNN{Cfg: cfg,
		E:    nn.NewParam("E", cfg.NRec, cfg.NInit),
		Win:  nn.NewParam("W_in", cfg.NRec, cfg.NIn),
		Wrec: nn.NewParam("W_rec", cfg.NRec, cfg.NRec),
		Wout: nn.NewParam("W_out", cfg.NOut, cfg.NRec),
	}
	for _, p := range n.Params() {
		bound := 1 / math.Sqrt(float64(p.Value.Cols))
		for i := range p.Value.Data {
			p.Value.Data[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	if cfg.Inhibitory > 0 {
		n.daleInit()
	}
	return n, nil
}

// daleInit draws W_rec with the Dale signs and balanced mean input:
// magnitudes |U(-1,1)|/(2 sqrt(n)), inhibitory columns scaled by ne/ni so
// every row sums to zero on average. The spectral radius is then about
// that of the unconstrained initialisation (row variance n_rec/(3 n) x
// ne/ni / 4 ~ 1/3 at 20% inhibition).
func (n *CTRNN) daleInit() {
	c, w := n.Cfg, n.Wrec.Value
	ni := c.Inhibitory
	ne := c.NRec - ni
	iScale := float32(ne) / float32(ni)
	for i := 0; i < w.Rows; i++ {
		row := w.Row(i)
		for j := range row {
			v := float32(math.Abs(float64(row[j])) / 2)
			if j >= ne {
				v *= -iScale
			}
			row[j] = v
		}
	}
	n.Project()
}

// Project enforces Dale's law after an optimiser step: excitatory columns
// of W_rec >= 0, inhibitory columns <= 0, inhibitory columns of W_out = 0.
// Without Dale's law it does nothing.
func (n *CTRNN) Project() {
	ni := n.Cfg.Inhibitory
	if ni == 0 {
		return
	}
	ne := n.Cfg.NRec - ni
	w := n.Wrec.Value
	for i := 0; i < w.Rows; i++ {
		row := w.Row(i)
		for j := range row[:ne] {
			row[j] = max(row[j], 0)
		}
		for j := ne; j < len(row); j++ {
			row[j] = min(row[j], 0)
		}
	}
	for i := 0; i < n.Wout.Value.Rows; i++ {
		clear(n.Wout.Value.Row(i)[ne:])
	}
}

// Params lists E, W_in, W_rec, W_out.
func (n *CTRNN) Params() []*nn.Param { return []*nn.Param{n.E, n.Win, n.Wrec, n.Wout} }

func (n *CTRNN) ensure(t, b int) {
	if n.t == t && n.b == b {
		return
	}
	c := n.Cfg
	n.t, n.b = t, b
	n.x = tensor.New(t*b, c.NIn)
	n.h = tensor.New((t+1)*b, c.NRec)
	n.u = tensor.New(t*b, c.NRec)
	n.y = tensor.New(t*b, c.NOut)
	n.dh = tensor.New(t*b, c.NRec)
	n.du = tensor.New(t*b, c.NRec)
	if c.Normalize != "" {
		n.z = tensor.New(t*b, c.NRec)
		n.invStd = make([]float32, t*b)
	}
	n.carry = tensor.New(b, c.NRec)
	n.tmp = tensor.New(b, c.NRec)
}

// fillNoise adds sd * xi to x, xi Gaussian or uniform [0, 1).
func fillNoise(x []float32, sd float64, kind string, rng *rand.Rand) {
	if sd == 0 {
		return
	}
	if kind == "uniform" {
		for i := range x {
			x[i] += float32(sd * rng.Float64())
		}
		return
	}
	for i := range x {
		x[i] += float32(sd * rng.NormFloat64())
	}
}

// Forward runs T = x.Rows/B steps from the initial codes c0 (B x n_init)
// on inputs x (T*B x n_in, time-major) and returns the outputs (T*B x
// n_out, owned by the network). noise draws the recurrent, input and
// output noise in a fixed order, so a seeded stream reproduces a pass.
func (n *CTRNN) Forward(x, c0 *tensor.Mat, noise *rand.Rand) *tensor.Mat {
	b := c0.Rows
	t := x.Rows / b
	n.ensure(t, b)
	c := n.Cfg
	n.x.Copy(x)
	fillNoise(n.x.Data, c.SigmaIn, c.Noise, noise)
	n.c0 = c0
	h0 := n.h.RowRange(0, b)
	tensor.MatMulN(n.Cfg.Workers, &h0, c0, false, n.E.Value, true, 1, 0)
	tensor.MatMulN(n.Cfg.Workers, n.u, n.x, false, n.Win.Value, true, 1, 0)
	alpha := float32(c.Alpha)
	tensor.PackB(&n.wrecPacked, n.Wrec.Value, true) // W_rec^T, once for every time step
	for s := 0; s < t; s++ {
		prev := n.h.RowRange(s*b, (s+1)*b)
		cur := n.h.RowRange((s+1)*b, (s+2)*b)
		us := n.u.RowRange(s*b, (s+1)*b)
		tensor.MatMulPacked(n.Cfg.Workers, &us, &prev, false, &n.wrecPacked, 1, 1)
		drive := us.Data
		if c.Normalize != "" {
			zs := n.z.RowRange(s*b, (s+1)*b)
			normalizeRows(zs.Data, n.invStd[s*b:(s+1)*b], us.Data, c.NRec, c.Normalize, c.gain())
			drive = zs.Data
		}
		leakNoiseStep(cur.Data, prev.Data, drive, alpha, c.Activation, c.SigmaRec, c.Noise, noise, &n.draws)
	}
	hs := n.h.RowRange(b, (t+1)*b)
	tensor.MatMulN(n.Cfg.Workers, n.y, &hs, false, n.Wout.Value, true, 1, 0)
	fillNoise(n.y.Data, c.SigmaOut, c.Noise, noise)
	return n.y
}

// gain is the scale of the normalised drive.
func (c Config) gain() float32 {
	if c.NormGain == 0 {
		return 1
	}
	return float32(c.NormGain)
}

// normalizeRows normalises each n-wide row of u into z ("layer": zero
// mean and unit variance; "divisive": unit root mean square), scales it by
// gain, and records the inverse scale (times gain: z = u' * invStd).
func normalizeRows(z, invStd, u []float32, n int, kind string, gain float32) {
	for r := range invStd {
		zr, ur := z[r*n:(r+1)*n], u[r*n:(r+1)*n]
		if kind == "layer" {
			invStd[r] = nn.NormalizeRow(zr, ur, lnEps)
			if gain != 1 {
				for j := range zr {
					zr[j] *= gain
				}
			}
			continue
		}
		var ss float64
		for _, v := range ur {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(n)+lnEps))
		for j, v := range ur {
			zr[j] = v * inv * gain
		}
		invStd[r] = inv
	}
}

// normalizeBackwardRow turns dL/dz of one row (z = gain * zhat) into
// dL/du in place: with g' = gain g, layer: (g' - mean g' - zhat mean(g'
// zhat)) / s; divisive: (g' - zhat mean(g' zhat)) / s.
func normalizeBackwardRow(g, z []float32, inv float32, kind string, gain float32) {
	// mean(g' zhat) = mean(g z), and zhat = z / gain.
	var sg, sgz float64
	for j, v := range g {
		sg += float64(v)
		sgz += float64(v) * float64(z[j])
	}
	n := float64(len(g))
	mgz := float32(sgz/n) / gain // mean(g' zhat) / gain, applied to z = gain zhat
	mg := float32(sg/n) * gain
	if kind != "layer" {
		mg = 0
	}
	for j, v := range g {
		g[j] = (gain*v - mg - z[j]*mgz) * inv
	}
}

// leakNoiseStep is leakStep and fillNoise in one pass over the units (the
// fused RNN step after its recurrent product). It draws the noise in the
// same order, into draws (scratch, grown as needed), so results are
// bit-identical to the two passes; a ReLU network's arithmetic then runs
// vectorised (kernels.LeakReLU).
func leakNoiseStep(cur, prev, u []float32, alpha float32, act string, sd float64, kind string, rng *rand.Rand, draws *[]float64) {
	if sd == 0 || act != "relu" {
		leakStep(cur, prev, u, alpha, act)
		fillNoise(cur, sd, kind, rng)
		return
	}
	if cap(*draws) < len(cur) {
		*draws = make([]float64, len(cur))
	}
	d := (*draws)[:len(cur)]
	if kind == "uniform" {
		for i := range d {
			d[i] = rng.Float64()
		}
	} else {
		for i := range d {
			d[i] = rng.NormFloat64()
		}
	}
	kernels.LeakReLU(cur, prev, u, 1-alpha, alpha, d, sd)
}

// leakStep sets cur = (1 - alpha) prev + alpha f(u).
func leakStep(cur, prev, u []float32, alpha float32, act string) {
	keep := 1 - alpha
	if act == "tanh" {
		for i, v := range u {
			cur[i] = keep*prev[i] + alpha*float32(math.Tanh(float64(v)))
		}
		return
	}
	kernels.LeakReLU(cur, prev, u, keep, alpha, nil, 0)
}

// Hidden returns the hidden states h_1..h_T of the last Forward (T*B x n_rec).
func (n *CTRNN) Hidden() *tensor.Mat {
	h := n.h.RowRange(n.b, (n.t+1)*n.b)
	return &h
}

// Backward takes dL/dy (T*B x n_out) and accumulates the gradients of all
// four matrices by back-propagation through time (noise held fixed):
//
//	g_t   = dL/dh_t (from y_t) + carry
//	du_t  = alpha f'(u_t) g_t
//	carry = (1 - alpha) g_t + W_rec^T du_t      (dL/dh_{t-1})
//
// then dW_rec = sum_t du_t h_{t-1}^T, dW_in = sum_t du_t x_t^T and
// dE = carry_0 c_0^T, each as one GEMM over all steps.
func (n *CTRNN) Backward(dy *tensor.Mat) {
	c, t, b := n.Cfg, n.t, n.b
	hs := n.h.RowRange(b, (t+1)*b)
	tensor.MatMulN(n.Cfg.Workers, n.Wout.Grad, dy, true, &hs, false, 1, 1)
	tensor.MatMulN(n.Cfg.Workers, n.dh, dy, false, n.Wout.Value, false, 1, 0)
	n.carry.Zero()
	alpha := float32(c.Alpha)
	tensor.PackB(&n.wrecPacked, n.Wrec.Value, false) // W_rec, once for every time step
	for s := t - 1; s >= 0; s-- {
		g := n.dh.RowRange(s*b, (s+1)*b)
		us := n.u.RowRange(s*b, (s+1)*b)
		du := n.du.RowRange(s*b, (s+1)*b)
		if c.Normalize != "" {
			// f acted on the normalised z: du first holds dL/dz, then dL/du.
			zs := n.z.RowRange(s*b, (s+1)*b)
			backStep(du.Data, n.tmp.Data, g.Data, n.carry.Data, zs.Data, alpha, c.Activation)
			for r := 0; r < b; r++ {
				normalizeBackwardRow(du.Row(r), zs.Row(r), n.invStd[s*b+r], c.Normalize, c.gain())
			}
		} else {
			backStep(du.Data, n.tmp.Data, g.Data, n.carry.Data, us.Data, alpha, c.Activation)
		}
		// carry = (1 - alpha) g + du W_rec
		copy(n.carry.Data, n.tmp.Data)
		tensor.MatMulPacked(n.Cfg.Workers, n.carry, &du, false, &n.wrecPacked, 1, 1)
	}
	hprev := n.h.RowRange(0, t*b)
	tensor.MatMulN(n.Cfg.Workers, n.Wrec.Grad, n.du, true, &hprev, false, 1, 1)
	tensor.MatMulN(n.Cfg.Workers, n.Win.Grad, n.du, true, n.x, false, 1, 1)
	tensor.MatMulN(n.Cfg.Workers, n.E.Grad, n.carry, true, n.c0, false, 1, 1)
}

// backStep computes g = dh + carry, du = alpha f'(u) g and keep = (1-alpha) g.
func backStep(du, keep, dh, carry, u []float32, alpha float32, act string) {
	k := 1 - alpha
	if act == "relu" {
		kernels.BackReLU(du, keep, dh, carry, u, alpha, k)
		return
	}
	for i, v := range u { // tanh, the only other activation (Config.Validate)
		g := dh[i] + carry[i]
		keep[i] = k * g
		th := float32(math.Tanh(float64(v)))
		d := 1 - th*th
		du[i] = alpha * d * g
	}
}
