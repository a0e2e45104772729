package reactivation

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/task/pathint"
	"github.com/circuitry-lab/circuitry/tensor"
)

// decodeError is the mean squared decoding error per coordinate of the
// outputs y (rows) against the true states.
func decodeError(task pathint.Task, y *tensor.Mat, truth []float64) float64 {
	d := task.Dim()
	buf := make([]float64, d)
	var s float64
	for i := 0; i < y.Rows; i++ {
		task.Decode(buf, y.Row(i))
		for c := 0; c < d; c++ {
			e := buf[c] - truth[i*d+c]
			if task.Periodic() {
				e = math.Remainder(e, 2*math.Pi)
			}
			s += e * e
		}
	}
	return s / float64(y.Rows*d)
}

func decodeRows(task pathint.Task, y *tensor.Mat, dst []float64) {
	d := task.Dim()
	for i := 0; i < y.Rows; i++ {
		task.Decode(dst[i*d:(i+1)*d], y.Row(i))
	}
}

// quietRun is what one quiescent run keeps.
type quietRun struct {
	pos    []float64 // decoded states from step keepFrom on (steps x B x dim)
	hidden []float32 // every stride-th step's hidden states of the first 20 trajectories (PCA)
	states []float32 // driftN hidden states from the second half of the run (drift field)
}

// quiesce runs net offline for steps steps from codes c0. The drift
// sample comes from the second half of the run: by then the state has
// forgotten the encoded start, and sleep states carry no pending velocity
// input (a waking state does, and its input-free step continues the last
// movement, which would swamp the denoising drift).
func quiesce(task pathint.Task, net rnn.Net, c0 *tensor.Mat, steps int, sd float64, kind string, rng *rand.Rand, keepFrom, driftN int, tick func(int)) quietRun {
	b, d := c0.Rows, task.Dim()
	out := quietRun{pos: make([]float64, (steps-keepFrom)*b*d)}
	q := rnn.NewQuiescence(net, b)
	stride := max(1, steps/200)
	rows := min(b, 20)
	burn := steps / 2
	snaps := (driftN + b - 1) / b
	every := max(1, (steps-burn)/max(1, snaps))
	q.Run(c0, steps, sd, kind, rng, func(st int, h, y *tensor.Mat) {
		tick(st)
		if st >= burn && (st-burn)%every == 0 && len(out.states) < driftN*h.Cols {
			n := min(b, driftN-len(out.states)/h.Cols)
			out.states = append(out.states, h.Data[:n*h.Cols]...)
		}
		if st < keepFrom {
			return
		}
		off := (st - keepFrom) * b * d
		for i := 0; i < b; i++ {
			task.Decode(out.pos[off+i*d:off+(i+1)*d], y.Row(i))
		}
		if st%stride == 0 {
			out.hidden = append(out.hidden, h.Data[:rows*h.Cols]...)
		}
	})
	return out
}

// fitKDE fits a KDE to at most limit evenly spaced states; a degenerate
// cloud (a network whose state never moves) gets 1e-6 jitter so its
// density, and the KL, stay defined.
// subsampleStates keeps limit of the d-dimensional states in pts, chosen
// uniformly without replacement on a fixed stream (so every run keeps the
// same ones) and kept in their original order. A strided subset would
// alias with the time-major layout (t*B + b): it could keep every step
// of a few trajectories instead of some steps of all of them.
func subsampleStates(pts []float64, d, limit int) []float64 {
	n := len(pts) / d
	idx := rand.New(rand.NewPCG(uint64(n), uint64(limit))).Perm(n)[:limit]
	slices.Sort(idx)
	sub := make([]float64, 0, limit*d)
	for _, j := range idx {
		sub = append(sub, pts[j*d:(j+1)*d]...)
	}
	return sub
}

func fitKDE(pts []float64, d, limit int, periodic bool) (*analysis.KDE, error) {
	if n := len(pts) / d; limit > 0 && n > limit {
		pts = subsampleStates(pts, d, limit)
	}
	period := 0.0
	if periodic {
		period = 2 * math.Pi
	}
	k, err := analysis.NewKDE(pts, d, period)
	if err == nil {
		return k, nil
	}
	jit := make([]float64, len(pts))
	rng := rand.New(rand.NewPCG(1, uint64(len(pts))))
	for i, v := range pts {
		jit[i] = v + 1e-6*rng.NormFloat64()
	}
	return analysis.NewKDE(jit, d, period)
}

func analyse(ctx context.Context, s Config, task pathint.Task, net, untrained rnn.Net, cond string, seed uint64, r *Result, progress experiment.Progress) error {
	o := &offline{s: s, q: s.Sleep, task: task, net: net, untrained: untrained, c: conditions[cond], seed: seed, r: r, d: task.Dim(), kind: s.sleepNoise()}
	r.SleepNoise = o.kind
	r.AnalysisVersion = AnalysisVersion
	// Progress counts quiescent steps: the density run, the untrained
	// control, the variance run and, without training noise, the run with
	// noise added at sleep.
	total := 2*o.q.Steps + o.q.VarSteps
	if !o.c.noisy {
		total += o.q.Steps
	}
	if o.c.noisy && !o.c.gru {
		total += o.q.Steps
		if o.kind == "uniform" && !task.Periodic() {
			total += o.q.Steps
		}
	}
	progress.Start(fmt.Sprintf("%s_s%d quiescence", cond, seed), total)
	defer progress.Finish(fmt.Sprintf("%s_s%d: offline analyses done", cond, seed))
	o.tick = func(int) { progress.Add(1, "") }
	// Between phases (each at most about a minute at the study's scale) an
	// interruption stops the analyses; re-running repeats them from the
	// end-of-training checkpoint.
	for _, phase := range []func() error{
		func() error { o.waking(); return nil }, func() error { o.sleep(); return nil }, o.densities,
		func() error { o.distances(); return nil }, func() error { o.driftAndPCA(); return nil }, o.otherSleeps,
	} {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted during the offline analyses (training is checkpointed; re-run to repeat them): %w", err)
		}
		if err := phase(); err != nil {
			return err
		}
	}
	return nil
}

// offline is what the analyses of one trained network share.
type offline struct {
	s              Config
	q              QuiescenceConfig
	task           pathint.Task
	net, untrained rnn.Net
	c              condition
	seed           uint64
	r              *Result
	tick           func(int)
	d              int            // state dimension
	kind           string         // noise kind
	tb             *pathint.Batch // the waking test batch
	c0             *tensor.Mat    // its encoded initial states
	sd             float64        // quiescent noise sd
	wakeDensity    *analysis.KDE
	driftStates    []float32 // sleep states for the drift field
}

// waking decodes the test trajectories, and the untrained control's error.
func (o *offline) waking() {
	r, task, d := o.r, o.task, o.d
	o.tb = task.Sample(experiment.Stream(o.seed, "test"), o.q.Batch, nil)
	tb := o.tb
	x := tensor.FromSlice(tb.T*tb.B, task.NIn(), tb.X)
	o.c0 = tensor.FromSlice(tb.B, task.NCells(), tb.Init)
	r.b, r.t, r.dim = tb.B, tb.T, d
	r.test, r.wakeTrue, r.tuning = tb, tb.Truth, task.Tuning()
	uy := o.untrained.Forward(x, o.c0, experiment.Stream(o.seed, "test-noise"))
	r.UntrainedErr = analysis.Float(decodeError(task, uy, tb.Truth))
	y := o.net.Forward(x, o.c0, experiment.Stream(o.seed, "test-noise"))
	r.DecodeErr = analysis.Float(decodeError(task, y, tb.Truth))
	r.wake = make([]float64, tb.T*tb.B*d)
	decodeRows(task, y, r.wake)
	hw := o.net.Hidden()
	r.wakeHidden = subsampleRows(hw.Data, hw.Rows, hw.Cols, 3000)
}

// sleep runs the network and the untrained control with the input
// removed: the network's own recurrent noise scaled by the noise factor
// (GRUs keep their training noise unscaled), as in the reference, so a
// network trained without noise sleeps without it; such a network also
// sleeps once with noise added.
func (o *offline) sleep() {
	r, q := o.r, o.q
	o.sd = o.net.Config().SigmaRec * q.NoiseFactor
	if o.c.gru {
		o.sd = o.net.Config().SigmaRec
	}
	r.SleepNoiseSD = o.sd
	sleep := quiesce(o.task, o.net, o.c0, q.Steps, o.sd, o.kind, experiment.Stream(o.seed, "sleep-noise"), 0, q.DriftStates, o.tick)
	r.quiet, r.quietHidden, r.tq = sleep.pos, sleep.hidden, q.Steps
	r.untrainedQuiet = quiesce(o.task, o.untrained, o.c0, q.Steps, math.Sqrt(2*o.s.Network.Sigma2Rec), o.kind, experiment.Stream(o.seed, "sleep-noise-untrained"), 0, 0, o.tick).pos
	o.driftStates = sleep.states
	r.KLNoiseAdded, r.StepNoiseAdded = analysis.Float(math.NaN()), analysis.Float(math.NaN())
	if !o.c.noisy {
		// The noise-added run also supplies the drift sample: a noiseless
		// sleep ends at a fixed point, whose drift is zero by construction.
		r.NoiseAddedSD = math.Sqrt(q.Noise2Sleep)
		run := quiesce(o.task, o.net, o.c0, q.Steps, r.NoiseAddedSD, o.kind, experiment.Stream(o.seed, "sleep-noise-added"), 0, q.DriftStates, o.tick)
		r.quietAdded, o.driftStates = run.pos, run.states
	}
}

// densities fits the KDEs and estimates KL(quiescent || waking), with the
// controls.
func (o *offline) densities() error {
	r, q, task, d := o.r, o.q, o.task, o.d
	p, err := fitKDE(r.wake, d, q.KDEPoints, task.Periodic())
	if err != nil {
		return fmt.Errorf("waking density: %w", err)
	}
	o.wakeDensity = p
	qk, err := fitKDE(r.quiet, d, q.KDEPoints, task.Periodic())
	if err != nil {
		return fmt.Errorf("quiescent density: %w", err)
	}
	uk, err := fitKDE(r.untrainedQuiet, d, q.KDEPoints, task.Periodic())
	if err != nil {
		return fmt.Errorf("untrained density: %w", err)
	}
	klRNG := experiment.Stream(o.seed, "kl")
	r.KL = analysis.Float(analysis.KL(qk, p, qk.Resample(q.KLSamples, klRNG), nil))
	r.KLUntrained = analysis.Float(analysis.KL(uk, p, uk.Resample(q.KLSamples, klRNG), nil))
	lu := task.LogUniform()
	r.KLUniform = analysis.Float(analysis.KL(nil, p, task.Uniform(klRNG, q.KLSamples), func([]float64) float64 { return lu }))
	r.KLUniformAsCoded = analysis.Float(math.NaN())
	if !task.Periodic() {
		lo, hi := task.Extent()
		r.KLUniformAsCoded = r.KLUniform + analysis.Float(math.Log(hi-lo))
	}
	if added := r.quietAdded; added != nil {
		ak, err := fitKDE(added, d, q.KDEPoints, task.Periodic())
		if err != nil {
			return fmt.Errorf("quiescent density with noise added: %w", err)
		}
		r.KLNoiseAdded = analysis.Float(analysis.KL(ak, p, ak.Resample(q.KLSamples, klRNG), nil))
		r.StepNoiseAdded = analysis.Float(analysis.StepDistance(added[:min(q.StepSteps, q.Steps)*o.tb.B*d], o.tb.B, d, task.Periodic()))
	}
	return nil
}

// otherSleeps runs a noisy vanilla network's two other sleeps: with its
// training noise unscaled (the temperature check: its KL against the
// waking density) and, for a network trained with the reference's
// uniform noise, with zero-mean Gaussian noise of the sleep's sd (the
// noise-type check: how far from the centre it drifts).
func (o *offline) otherSleeps() error {
	r, q := o.r, o.q
	r.KLNoiseX1, r.AnchorQuietMismatched = analysis.Float(math.NaN()), analysis.Float(math.NaN())
	if !o.c.noisy || o.c.gru {
		return nil
	}
	x1 := quiesce(o.task, o.net, o.c0, q.Steps, o.net.Config().SigmaRec, o.kind, experiment.Stream(o.seed, "sleep-noise-x1"), 0, 0, o.tick).pos
	k, err := fitKDE(x1, o.d, q.KDEPoints, o.task.Periodic())
	if err != nil {
		return fmt.Errorf("quiescent density at noise x1: %w", err)
	}
	r.KLNoiseX1 = analysis.Float(analysis.KL(k, o.wakeDensity, k.Resample(q.KLSamples, experiment.Stream(o.seed, "kl-noise-x1")), nil))
	if o.kind == "uniform" && !o.task.Periodic() {
		g := quiesce(o.task, o.net, o.c0, q.Steps, o.sd, "gaussian", experiment.Stream(o.seed, "sleep-noise-zero-mean"), 0, 0, o.tick).pos
		r.AnchorQuietMismatched = analysis.Float(meanNorm(g))
	}
	return nil
}

// distances measures step distances, the bias (anchor distance or signed
// turning) and the steady-state quiescent variance.
func (o *offline) distances() {
	r, q, task, d, b := o.r, o.q, o.task, o.d, o.tb.B
	r.StepWake = analysis.Float(analysis.StepDistance(r.wake, b, d, task.Periodic()))
	r.StepQuiet = analysis.Float(analysis.StepDistance(r.quiet[:min(q.StepSteps, q.Steps)*b*d], b, d, task.Periodic()))
	if task.Periodic() {
		r.SignedWake = analysis.Float(analysis.MeanSignedStep(r.wake, b))
		r.SignedQuiet = analysis.Float(analysis.MeanSignedStep(r.quiet, b))
	} else {
		r.AnchorWake = analysis.Float(meanNorm(r.wake))
		r.AnchorWakeBand = normPercentiles(r.wake, 0.1, 0.9)
		r.AnchorQuiet = analysis.Float(meanNorm(r.quiet))
	}
	vb := task.Sample(experiment.Stream(o.seed, "variance"), q.VarBatch, nil)
	vpos := quiesce(task, o.net, tensor.FromSlice(vb.B, task.NCells(), vb.Init), q.VarSteps, o.sd, o.kind, experiment.Stream(o.seed, "variance-noise"), q.VarDiscard, 0, o.tick).pos
	r.Variance = analysis.Float(analysis.TrajectoryVariance(vpos, vb.B, d, 0, task.Periodic()))
}

// driftAndPCA measures the drift field (the noise-free, input-free
// one-step change from sleep states) against the waking density, and the
// PCA of hidden states awake and asleep.
func (o *offline) driftAndPCA() {
	r, nrec := o.r, o.net.Config().NRec
	states := tensor.FromSlice(len(o.driftStates)/nrec, nrec, o.driftStates)
	// The drift is the expected input-free step. The authors' uniform
	// [0, 1) noise has mean sd/2 per unit, which a network trained with it
	// learns to compensate: its noise-free step alone lacks that part of
	// its dynamics (zero-mean noise: the two are the same).
	var shift float32
	if o.kind == "uniform" {
		sd := o.sd
		if !o.c.noisy {
			sd = r.NoiseAddedSD // its drift states come from the noise-added run
		}
		shift = float32(sd / 2)
	}
	r.drift, r.driftDelta = driftField(o.task, o.net, states, shift)
	cos, weighted, _ := analysis.DriftAlignment(r.drift, r.driftDelta, o.d, o.wakeDensity)
	r.DriftAlignment, r.DriftWeighted = analysis.Float(cos), analysis.Float(weighted)
	r.DriftAlignmentNoiseFree = r.DriftAlignment
	if shift != 0 {
		pos, delta := driftField(o.task, o.net, states, 0)
		c, _, _ := analysis.DriftAlignment(pos, delta, o.d, o.wakeDensity)
		r.DriftAlignmentNoiseFree = analysis.Float(c)
	}
	r.PCAWake, r.PCAQuiet = pcaCurves(o.task, o.net, o.q, o.sd, o.kind, o.seed)
}

func firstN(x []float64, n int) []float64 { return x[:min(n, len(x))] }

func meanNorm(pos []float64) float64 {
	var s float64
	for i := 0; i+1 < len(pos); i += 2 {
		s += math.Hypot(pos[i], pos[i+1])
	}
	return s / float64(len(pos)/2)
}

// normPercentiles are percentiles of the distances of 2-D positions to
// the origin.
func normPercentiles(pos []float64, ps ...float64) []float64 {
	d := make([]float64, len(pos)/2)
	for i := range d {
		d[i] = math.Hypot(pos[2*i], pos[2*i+1])
	}
	slices.Sort(d)
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = d[min(len(d)-1, int(p*float64(len(d))))]
	}
	return out
}

// subsampleRows copies at most limit evenly spaced rows of x (n x m).
func subsampleRows(x []float32, n, m, limit int) []float32 {
	k := min(n, limit)
	out := make([]float32, 0, k*m)
	for i := 0; i < k; i++ {
		j := i * n / k
		out = append(out, x[j*m:(j+1)*m]...)
	}
	return out
}

// driftField decodes (smoothly) the hidden states h and their expected
// input-free successors — the noise-free step plus the noise's mean, shift
// per unit (0 for zero-mean noise) — returning positions and displacements.
func driftField(task pathint.Task, net rnn.Net, h *tensor.Mat, shift float32) (pos, delta []float64) {
	n := h.Rows
	hn := tensor.New(n, h.Cols)
	net.Step(hn, h)
	for i := range hn.Data {
		hn.Data[i] += shift
	}
	y, yn := tensor.New(n, net.Config().NOut), tensor.New(n, net.Config().NOut)
	net.Output(y, h)
	net.Output(yn, hn)
	d := task.Dim()
	pos, delta = make([]float64, n*d), make([]float64, n*d)
	next := make([]float64, d)
	for i := 0; i < n; i++ {
		task.SmoothDecode(pos[i*d:(i+1)*d], y.Row(i))
		task.SmoothDecode(next, yn.Row(i))
		for c := 0; c < d; c++ {
			dv := next[c] - pos[i*d+c]
			if task.Periodic() {
				dv = math.Remainder(dv, 2*math.Pi)
			}
			delta[i*d+c] = dv
		}
	}
	return pos, delta
}
