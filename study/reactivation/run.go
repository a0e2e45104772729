package reactivation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/checkpoint"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/internal/npy"
	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/task/pathint"
	"github.com/circuitry-lab/circuitry/tensor"
)

// AnalysisVersion numbers the meaning of the offline
// analyses. A finished network whose summary has an older number is
// re-analysed from its saved weights instead of being reused, so a study
// never mixes analyses that measure different things. 2: networks trained
// without noise sleep without it (version 1 slept them with noise added).
// 3: the untrained control is a freshly initialised vanilla RNN (not the
// network's own initial weights, not a GRU) slept with the task's training
// noise doubled (head direction: 2e-2, not the spatial 2e-4), and the
// uniform control is reported as coded too. 4: the PCA at the study's
// size (1000 trajectories, 100 waking and 200 quiescent steps), the
// untrained control's decoded sleep saved (the KL matrix), the quiescent
// noise kind recorded, waking anchor-distance percentiles. 5: the drift is
// the expected input-free step, the uniform noise's mean included. 7:
// the temperature (noise x1) KL and the zero-mean-noise sleep of check 8
// are measured with the other analyses, so the verdicts read them. 6: a
// KDE of more than quiescence.kde_points states keeps a random subset of
// them (the evenly strided subset it kept before aliased with the batch:
// with 200 trajectories and a stride of 10 it kept every step of 20
// trajectories and none of the other 180).
const AnalysisVersion = 7

// Result is summary.json of one trained network and its
// offline analyses. Errors are mean squared decoding errors per
// coordinate (m^2, or rad^2 for head direction).
type Result struct {
	Condition      string         `json:"condition"`
	Seed           uint64         `json:"seed"`
	Task           string         `json:"task"`
	Noise          string         `json:"noise"` // gaussian | uniform: the training noise
	NRec           int            `json:"n_rec"`
	TrainSteps     int            `json:"train_steps"`
	SecondsPerStep float64        `json:"seconds_per_step"`
	FinalLoss      analysis.Float `json:"final_loss"`
	DecodeErr      analysis.Float `json:"decode_err"`
	UntrainedErr   analysis.Float `json:"untrained_decode_err"`
	SleepNoiseSD   float64        `json:"sleep_noise_sd"`
	// SleepNoise is the quiescent noise kind: the training noise unless
	// quiescence.noise names the other (a deliberate mismatch).
	SleepNoise string `json:"sleep_noise"`
	// Networks trained without noise sleep without it (their own noise
	// times the factor, as in the reference), and are also run with noise
	// added at sleep (quiescence.noise2_sleep): its KL and step distance.
	// Null for networks trained with noise.
	NoiseAddedSD   float64        `json:"noise_added_sd,omitempty"`
	KLNoiseAdded   analysis.Float `json:"kl_noise_added"`
	StepNoiseAdded analysis.Float `json:"step_quiescent_noise_added"`
	KL             analysis.Float `json:"kl_quiescent_waking"`
	// Noisy vanilla networks are also slept with their training noise
	// unscaled (check 6, temperature): its KL; and networks trained with
	// the reference's uniform noise slept with zero-mean Gaussian noise of
	// the sleep's sd (check 8): the mean decoded distance from the centre
	// (spatial). Null where not measured.
	KLNoiseX1             analysis.Float `json:"kl_quiescent_waking_noise_x1"`
	AnchorQuietMismatched analysis.Float `json:"anchor_dist_quiescent_zero_mean_noise"`
	KLUntrained           analysis.Float `json:"kl_untrained"`
	KLUniform             analysis.Float `json:"kl_uniform"` // the correct density (1/box^2, 1/2pi)
	// KLUniformAsCoded is the uniform control as the authors' code computes
	// it for the box: a 1-D pdf per coordinate, ln(box) = 0.79 nats more
	// (spatial task; null for head direction).
	KLUniformAsCoded analysis.Float `json:"kl_uniform_as_coded"`
	StepWake         analysis.Float `json:"step_waking"`
	StepQuiet        analysis.Float `json:"step_quiescent"`
	Variance         analysis.Float `json:"quiescent_variance"`
	// Spatial: mean distance to the anchor (0, 0); head direction: mean
	// signed angular step (positive = counter-clockwise).
	AnchorWake  analysis.Float `json:"anchor_dist_waking,omitempty"`
	AnchorQuiet analysis.Float `json:"anchor_dist_quiescent,omitempty"`
	// AnchorWakeBand is the 10th and 90th percentile of the waking
	// positions' distance to the anchor (spatial): the biased task's
	// central ring is 0.24-0.40 m.
	AnchorWakeBand []float64      `json:"anchor_dist_waking_p10_p90,omitempty"`
	SignedWake     analysis.Float `json:"signed_step_waking,omitempty"`
	SignedQuiet    analysis.Float `json:"signed_step_quiescent,omitempty"`
	DriftAlignment analysis.Float `json:"drift_alignment"`
	// DriftWeighted is the alignment weighted by |grad log p_wake|.
	DriftWeighted analysis.Float `json:"drift_alignment_weighted"`
	// DriftAlignmentNoiseFree is the mean cosine of the noise-free step
	// alone (the same as DriftAlignment for zero-mean noise; for uniform
	// noise it leaves out the noise's mean, which the network compensates).
	DriftAlignmentNoiseFree analysis.Float `json:"drift_alignment_noise_free"`
	PCAWake                 []float64      `json:"pca_cumulative_waking"`
	PCAQuiet                []float64      `json:"pca_cumulative_quiescent"`
	Dir                     string         `json:"run_dir"`
	// AnalysisVersion is reactivationAnalysisVersion when analysed.
	AnalysisVersion int `json:"analysis_version"`

	wake, quiet, drift, driftDelta []float64
	quietAdded                     []float64      // no-noise networks: the noise-added sleep
	untrainedQuiet                 []float64      // the untrained control's decoded sleep (same starts)
	test                           *pathint.Batch // the waking test batch (ground truth for arrays/)
	tuning                         []float64      // the target cells' centres or preferred headings
	wakeHidden, quietHidden        []float32      // subsampled hidden states (rows of n_rec)
	b, t, tq, dim                  int
	nulls                          nullKLs // measured when the study's report is written
}

// record is one line of metrics.jsonl during training.
type record struct {
	Step      int            `json:"step"`
	Loss      analysis.Float `json:"loss"`
	DecodeErr analysis.Float `json:"decode_err"`
	Seconds   float64        `json:"seconds"`
}

// checkpointPath is where a study point keeps its checkpoint.
const checkpointPath = "checkpoints/checkpoint.bin"

func init() {
	experiment.RegisterHeadline("reactivation", "decode_err", "kl_quiescent_waking", "quiescent_variance", "seconds_per_step")
}

// pointSpec is the identity of one network of the study: the study config
// reduced to that condition and seed (its config.yaml), less where it is
// written and how many networks train at once.
func (s *Config) pointSpec(cond string, seed uint64) experiment.RunSpec {
	c := *s
	c.Conditions, c.Seeds = []string{cond}, []uint64{seed}
	// The quiescence section is read only by the offline analyses: a change
	// there re-analyses a finished network with its saved weights.
	spec := experiment.RunSpec{Kind: "reactivation", Config: experiment.ToYAML(c), Neutral: []string{"name", "out.dir", "workers", "train.checkpoint_every"},
		Analysis: []string{"quiescence."}, AnalysisVersion: AnalysisVersion}
	if conditions[cond].gru {
		// 2: the study's continuous-time GRU (version 1 was a discrete
		// torch.nn.GRU: another architecture for the same config).
		spec.Version = 2
	}
	if s.Task == "headdir" {
		// The task's two options enter as the trainer version: 0 is the
		// task every head-direction record before 2026-12-06 trained (both
		// on), so those records stay reusable under the two options.
		spec.Neutral = append(spec.Neutral, "headdir.drop_first_step", "headdir.open_cell_spacing")
		spec.Version = headDirVersion(s.HeadDir)
	}
	return spec
}

// headDirVersion numbers the head-direction task variants: 0 circuitry's
// before 2026-12-06, 1 the authors' (the default), 2 and 3 one option each.
func headDirVersion(h HeadDirConfig) int {
	switch {
	case h.DropFirstStep && h.OpenCellSpacing:
		return 0
	case h.DropFirstStep:
		return 2
	case h.OpenCellSpacing:
		return 3
	}
	return 1
}

// runPoint trains, resumes or re-analyses one network as the integrity
// policy decides for its directory (force: retrain one that holds another
// config), then runs its offline analyses and writes its run directory.
func runPoint(ctx context.Context, s Config, cond string, seed uint64, env experiment.Env) (*Result, error) {
	force, progress, log := env.Force, env.Progress, env.Log
	name, dir := pointName(cond, seed), s.pointDir(cond, seed)
	run, act, err := experiment.Claim(dir, s.pointSpec(cond, seed), checkpointPath, force)
	if err != nil {
		return nil, err
	}
	defer run.Close()
	// A results bundle (config, record, summary, metrics, weights; no
	// arrays/): the analyses are a function of the verified weights and
	// the analysis keys, so they are computed again, not trusted.
	bundle := act == experiment.Reuse && recordsOnly(dir)
	switch {
	case act == experiment.Reuse && !bundle:
		r, err := loadResult(dir)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "%s: finished earlier with the same config, reusing %s\n", name, dir)
		return r, nil
	case act == experiment.Reanalyse || bundle:
		prior, err := readSummary(dir)
		if err != nil {
			return nil, err
		}
		if bundle {
			fmt.Fprintf(log, "%s: finished earlier with the same config; its analysis arrays were not kept (a results bundle), repeating the analyses with its saved weights\n", name)
		} else {
			fmt.Fprintf(log, "%s: finished earlier with analysis version %d or other quiescence settings; repeating the analyses (version %d) with its saved weights\n",
				name, prior.AnalysisVersion, AnalysisVersion)
		}
		return refreshAnalyses(s, run, prior)
	}
	t, err := newTrainer(s, cond, seed, run, env.GEMMWorkers)
	if err != nil {
		return nil, err
	}
	if act == experiment.Resume {
		if err := t.resume(); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "%s: resuming from step %d (%s)\n", name, t.first, filepath.Join(dir, checkpointPath))
	}
	r := &Result{Condition: cond, Seed: seed, Task: s.Task, Noise: s.Network.Noise, NRec: s.Network.NRec, TrainSteps: s.Train.Steps, Dir: dir}
	if err := t.train(ctx, progress, r); err != nil {
		return nil, err
	}
	analysisProgress := progress
	if _, shared := progress.(*experiment.SharedProgress); shared {
		// One bar over networks trained side by side counts training steps
		// only: an analysis unit costs ~1/100 of a step and would skew the ETA.
		analysisProgress = experiment.Quiet{}
	}
	untrained, err := s.newUntrained(t.task, seed, env.GEMMWorkers)
	if err != nil {
		return nil, err
	}
	if err := analyse(ctx, s, t.task, t.net, untrained, cond, seed, r, analysisProgress); err != nil {
		return nil, err
	}
	if err := writePoint(run, r, t.net); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%s: decode err %.4f (untrained %.4f), KL %.3f (untrained %.3f, uniform %.3f)\n", name,
		float64(r.DecodeErr), float64(r.UntrainedErr), float64(r.KL), float64(r.KLUntrained), float64(r.KLUniform))
	return r, nil
}

// writePoint writes a finished network's arrays, summary and run report,
// then marks the run finished.
func writePoint(run *experiment.RunDir, r *Result, net rnn.Net) error {
	if err := writeArrays(run.Path, r, net, run.Fingerprint()); err != nil {
		return err
	}
	if err := run.WriteJSON("summary.json", r); err != nil {
		return err
	}
	if err := writeRunReport(run.Path, r); err != nil {
		return err
	}
	return run.MarkFinished()
}

// trainer is one network's training: everything a checkpoint holds.
type trainer struct {
	s           Config
	name        string
	run         *experiment.RunDir
	task        pathint.Task
	net         rnn.Net
	opt         nn.Optimizer
	traj, noise *experiment.RNG
	first       int     // the next step
	elapsed     float64 // training seconds before this process
	loss        float64 // the last step's loss (kept by the end-of-training checkpoint)
}

func newTrainer(s Config, cond string, seed uint64, run *experiment.RunDir, workers int) (*trainer, error) {
	task := s.NewTask(conditions[cond].biased, seed)
	net, err := s.newNet(cond, task, seed, workers)
	if err != nil {
		return nil, err
	}
	return &trainer{s: s, name: pointName(cond, seed), run: run, task: task, net: net,
		opt:  nn.NewAdam(nn.Group{Name: "all", Params: net.Params(), LR: s.Train.LR}),
		traj: experiment.NewRNG(seed, "trajectories"), noise: experiment.NewRNG(seed, "noise"), first: 1}, nil
}

// resume loads the run's checkpoint, refusing one of another config.
func (t *trainer) resume() error {
	path := filepath.Join(t.run.Path, checkpointPath)
	st, err := checkpoint.Load(path)
	switch {
	case errors.Is(err, checkpoint.ErrCorrupt):
		return fmt.Errorf("%w (copy %s.prev over it to continue from there, or --force to retrain)", err, path)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case st.Kind != "reactivation" || st.ConfigHash != t.run.Fingerprint():
		return fmt.Errorf("%s was written by a different config (or trainer) than %s: refusing to resume — use --force to retrain", path, filepath.Join(t.run.Path, "config.yaml"))
	}
	if st.Step < 1 || st.Step > t.s.Train.Steps+1 {
		return fmt.Errorf("%s: step %d, the config trains steps 1 to %d (the checksum is valid: written by another version, or by hand)", path, st.Step, t.s.Train.Steps)
	}
	if err := experiment.RestoreTraining(st, t.net.Params(), t.opt, map[string]*experiment.RNG{"trajectories": t.traj, "noise": t.noise}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	t.first, t.elapsed = st.Step, st.Elapsed
	if len(st.Loop) > 0 {
		var loop struct{ Loss float64 }
		if err := json.Unmarshal(st.Loop, &loop); err != nil {
			return fmt.Errorf("%s: loop state: %w", path, err)
		}
		t.loss = loop.Loss
	}
	t.run.RestoreMetrics(st.Metrics)
	return nil
}

// save checkpoints the position before step.
func (t *trainer) save(step int, secs float64) error {
	loop, err := json.Marshal(struct{ Loss float64 }{t.loss})
	if err != nil {
		return err
	}
	st := &checkpoint.State{Kind: "reactivation", ConfigHash: t.run.Fingerprint(), Step: step, Elapsed: secs, OptimCounter: t.opt.Counter(), Loop: loop,
		Optim: t.opt.State(), Metrics: t.run.Metrics(),
		Streams: map[string][]byte{"trajectories": t.traj.State(), "noise": t.noise.State()}}
	for _, p := range t.net.Params() {
		st.Params = append(st.Params, checkpoint.Tensor{Name: p.Name, Data: p.Value.Data})
	}
	path := filepath.Join(t.run.Path, checkpointPath)
	if err := checkpoint.Save(path, st); err != nil {
		return err
	}
	return t.run.Seal()
}

// train runs Adam on a fresh batch every step from t.first, checkpointing
// every train.checkpoint_every steps and on interruption, and records the
// training time and final loss in r.
func (t *trainer) train(ctx context.Context, progress experiment.Progress, r *Result) error {
	s, task, net := t.s, t.task, t.net
	mse := &nn.MSE{}
	var batch pathint.Batch // reused every step
	baseLR := []float64{s.Train.LR}
	progress.Start(t.name, s.Train.Steps)
	progress.Skip(t.first - 1) // steps trained before a resume
	counted := t.first - 1     // steps the progress has been told about
	start := time.Now()
	secs := func() float64 { return t.elapsed + time.Since(start).Seconds() }
	loss := t.loss
	for step := t.first; step <= s.Train.Steps; step++ {
		if err := ctx.Err(); err != nil {
			if serr := t.save(step, secs()); serr != nil {
				return serr
			}
			return fmt.Errorf("interrupted at step %d; checkpoint written, re-run the study to resume: %w", step, err)
		}
		if ce := s.Train.CheckpointEvery; ce > 0 && step > t.first && (step-1)%ce == 0 {
			if err := t.save(step, secs()); err != nil {
				return err
			}
		}
		b := task.Sample(t.traj.Rand, s.Train.Batch, &batch)
		x, c0, tgt := tensor.FromSlice(b.T*b.B, task.NIn(), b.X), tensor.FromSlice(b.B, s.Network.Cells, b.Init), tensor.FromSlice(b.T*b.B, s.Network.Cells, b.Target)
		experiment.SetLR(t.opt, baseLR, s.Train.LRSchedule, step-1, s.Train.Steps)
		nn.ZeroGrad(net.Params())
		y := net.Forward(x, c0, t.noise.Rand)
		last := loss
		if loss = mse.Loss(y, tgt); math.IsNaN(loss) || math.IsInf(loss, 0) {
			// Nothing downstream (decoding, densities) means anything for a
			// network whose state is not finite; say so instead of analysing it.
			return fmt.Errorf("training loss is not finite at step %d (diverged; the loss before was %.3g): lower train.lr", step, last)
		}
		net.Backward(mse.Backward())
		t.opt.Step()
		if p, ok := net.(interface{ Project() }); ok {
			p.Project() // Dale's law: restore the weight signs
		}
		if step%s.Train.LogEvery == 0 || step == s.Train.Steps {
			rec := record{Step: step, Loss: analysis.Float(loss), DecodeErr: analysis.Float(decodeError(task, y, b.Truth)), Seconds: secs()}
			if err := t.run.AppendMetrics(rec); err != nil {
				return err
			}
			progress.Add(step-counted, fmt.Sprintf("%s step %d: loss %.3g err %.4f", t.name, step, loss, float64(rec.DecodeErr)))
			counted = step
		}
	}
	r.SecondsPerStep = secs() / float64(s.Train.Steps)
	r.FinalLoss = analysis.Float(loss)
	if t.first <= s.Train.Steps {
		// Trained in this process: checkpoint its end, so an interruption
		// during the analyses (minutes at the study's scale) resumes
		// without retraining.
		t.loss = loss
		if err := t.save(s.Train.Steps+1, secs()); err != nil {
			return err
		}
	}
	progress.Finish(fmt.Sprintf("%s: trained %d steps, %.3f s/step, loss %.3g", t.name, s.Train.Steps, r.SecondsPerStep, loss))
	return nil
}

// newNet builds the condition's network with the seed's initial weights.
func (s *Config) newNet(cond string, task pathint.Task, seed uint64, workers int) (rnn.Net, error) {
	c, nc := conditions[cond], s.Network
	cfg := rnn.Config{NIn: task.NIn(), NRec: nc.NRec, NOut: nc.Cells, NInit: nc.Cells, Alpha: nc.Dt / nc.Tau, Activation: nc.Activation,
		Noise: nc.Noise, SigmaIn: math.Sqrt(nc.Sigma2In), SigmaOut: math.Sqrt(nc.Sigma2Out), Workers: workers}
	if c.noisy {
		cfg.SigmaRec = math.Sqrt(nc.Sigma2Rec)
	}
	if c.dale {
		cfg.Inhibitory = int(nc.InhibitoryFraction * float64(nc.NRec))
		cfg.Normalize, cfg.NormGain = c.normalize, nc.NormGain
	}
	if c.gru {
		return rnn.NewGRU(cfg, experiment.Stream(seed, "init"))
	}
	return rnn.New(cfg, experiment.Stream(seed, "init"))
}

// newUntrained is the study's untrained control: a freshly initialised
// vanilla RNN of the network's shape (whatever the condition's
// architecture), with the task's noisy training noise.
func (s *Config) newUntrained(task pathint.Task, seed uint64, workers int) (rnn.Net, error) {
	nc := s.Network
	cfg := rnn.Config{NIn: task.NIn(), NRec: nc.NRec, NOut: nc.Cells, NInit: nc.Cells, Alpha: nc.Dt / nc.Tau, Activation: nc.Activation,
		Noise: nc.Noise, SigmaRec: math.Sqrt(nc.Sigma2Rec), Workers: workers}
	return rnn.New(cfg, experiment.Stream(seed, "init-untrained"))
}

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
	r.test, r.tuning = tb, task.Tuning()
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

func writeArrays(runPath string, r *Result, net rnn.Net, fingerprint string) error {
	dir := filepath.Join(runPath, "arrays")
	type arrayFile struct {
		name  string
		data  any
		shape []int
	}
	files := []arrayFile{
		{"waking_decoded.npy", r.wake, []int{r.t, r.b, r.dim}},
		{"quiescent_decoded.npy", r.quiet, []int{r.tq, r.b, r.dim}},
		{"untrained_quiescent_decoded.npy", r.untrainedQuiet, []int{r.tq, r.b, r.dim}},
		{"drift_positions.npy", r.drift, []int{len(r.drift) / r.dim, r.dim}},
		{"drift_delta.npy", r.driftDelta, []int{len(r.driftDelta) / r.dim, r.dim}},
	}
	if r.quietAdded != nil {
		files = append(files, arrayFile{"quiescent_noise_added_decoded.npy", r.quietAdded, []int{r.tq, r.b, r.dim}})
	}
	if tb := r.test; tb != nil { // the waking test batch's ground truth
		nin := len(tb.X) / (tb.T * tb.B)
		files = append(files,
			arrayFile{"waking_true.npy", tb.Truth, []int{tb.T, tb.B, r.dim}},
			arrayFile{"waking_inputs.npy", tb.X, []int{tb.T, tb.B, nin}},
			arrayFile{"waking_init_codes.npy", tb.Init, []int{tb.B, len(tb.Init) / tb.B}})
	}
	if r.tuning != nil {
		shape := []int{len(r.tuning)}
		if r.dim == 2 {
			shape = []int{len(r.tuning) / 2, 2}
		}
		files = append(files, arrayFile{"cell_tuning.npy", r.tuning, shape})
	}
	if nrec := net.Config().NRec; r.wakeHidden != nil {
		files = append(files,
			arrayFile{"hidden_waking.npy", r.wakeHidden, []int{len(r.wakeHidden) / nrec, nrec}},
			arrayFile{"hidden_quiescent.npy", r.quietHidden, []int{len(r.quietHidden) / nrec, nrec}})
	}
	weights := experiment.ParamTensors(net.Params())
	for _, t := range weights { // the trained weights, for `circuitry analyze` and Python
		files = append(files, arrayFile{t.Name + ".npy", t.Data, t.Shape})
	}
	st, err := safetensors.Encode(weights, map[string]string{"format": "pt", "condition": r.Condition, "seed": fmt.Sprint(r.Seed), "config_sha256": fingerprint})
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(runPath, "weights.safetensors"), st); err != nil {
		return err
	}
	for _, f := range files {
		b, err := npy.Bytes(f.data, f.shape...)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if err := fsutil.WriteFileAtomic(filepath.Join(dir, f.name), b); err != nil {
			return err
		}
	}
	return nil
}

// readSummary reads a finished run's summary.json.
func readSummary(dir string) (*Result, error) {
	path := filepath.Join(dir, "summary.json")
	b, err := fsutil.ReadRegular(path, fsutil.MaxSummaryBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: finished run without its summary: %w — --force retrains it", dir, err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil || r.Condition == "" {
		return nil, fmt.Errorf("%s: damaged or not an offline-reactivation summary — --force retrains the run", path)
	}
	return &r, nil
}

// loadResult reads a finished run (summary.json and the
// arrays the study's figures need). A missing or damaged file is an error
// naming it: a finished run is never silently retrained.
// recordsOnly reports whether a finished point's directory has no arrays/
// at all: the shape of the committed results bundles, which keep a
// network's config, record, summary, metrics and weights. One array
// missing from an arrays/ that exists is damage (loadResult says so).
func recordsOnly(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "arrays"))
	return errors.Is(err, fs.ErrNotExist)
}

func loadResult(dir string) (*Result, error) {
	r, err := readSummary(dir)
	if err != nil {
		return nil, err
	}
	read := func(name string, dims int) ([]float64, []int, error) {
		path := filepath.Join(dir, "arrays", name)
		x, shape, err := npy.ReadFloat64(path)
		switch {
		case err != nil:
		case len(shape) != dims:
			err = fmt.Errorf("shape %v, want %d dimensions", shape, dims)
		case r.dim > 0 && shape[dims-1] != r.dim:
			// Every array holds positions (or angles) of the task's
			// dimension, which waking_decoded.npy fixes.
			err = fmt.Errorf("shape %v: last dimension %d, waking_decoded.npy's is %d", shape, shape[dims-1], r.dim)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: finished run with a damaged array (%v) — --force retrains it", path, err)
		}
		return x, shape, nil
	}
	var shape []int
	if r.wake, shape, err = read("waking_decoded.npy", 3); err != nil {
		return nil, err
	}
	r.t, r.b, r.dim = shape[0], shape[1], shape[2]
	if r.quiet, shape, err = read("quiescent_decoded.npy", 3); err != nil {
		return nil, err
	}
	r.tq = shape[0]
	if r.untrainedQuiet, _, err = read("untrained_quiescent_decoded.npy", 3); err != nil {
		return nil, err
	}
	if r.drift, _, err = read("drift_positions.npy", 2); err != nil {
		return nil, err
	}
	if r.driftDelta, _, err = read("drift_delta.npy", 2); err != nil {
		return nil, err
	}
	if r.NoiseAddedSD > 0 {
		if r.quietAdded, _, err = read("quiescent_noise_added_decoded.npy", 3); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// AnalyzeRun re-runs the offline analyses of a finished run
// directory with its saved weights, after applying overrides to its
// config (e.g. quiescence.noise_factor=1 for the temperature check, or
// network.noise=gaussian for a uniform-trained network), and writes them
// under RUN_DIR/analyses/NAME.
func AnalyzeRun(runDir, name string, overrides []string, log io.Writer) (*Result, error) {
	if err := experiment.ValidName(name); err != nil {
		return nil, fmt.Errorf("--name %w: the analysis is written to RUN_DIR/analyses/NAME", err)
	}
	var prior Result
	b, err := fsutil.ReadRegular(filepath.Join(runDir, "summary.json"), fsutil.MaxSummaryBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a finished run (no summary.json); train it with `circuitry run CONFIG` first", runDir)
	}
	if err := json.Unmarshal(b, &prior); err != nil || prior.Condition == "" {
		return nil, fmt.Errorf("%s: summary.json is not an offline-reactivation run summary", runDir)
	}
	s, err := readPointStudy(runDir, overrides)
	if err != nil {
		return nil, err
	}
	r, net, err := reanalyse(s, runDir, &prior)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(runDir, "analyses", name)
	r.Dir = out
	fingerprint := ""
	if rec, err := experiment.ReadRecord(runDir); err == nil {
		fingerprint = rec.ConfigSHA256 // the training config's: same weights
	}
	if err := fsutil.NoSymlinks(runDir, filepath.Join("analyses", name)); err != nil {
		return nil, err
	}
	if err := writeArrays(out, r, net, fingerprint); err != nil {
		return nil, err
	}
	if err := (&experiment.RunDir{Path: out}).WriteJSON("summary.json", struct {
		Overrides []string `json:"overrides"`
		*Result
	}{overrides, r}); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%s: analysis %q written to %s\n", runDir, name, out)
	return r, nil
}

// reanalyse loads the trained weights saved under runDir into study s's
// network for prior's condition and seed and repeats the offline
// analyses; the training record (steps, time, loss) is prior's.
func reanalyse(s Config, runDir string, prior *Result) (*Result, rnn.Net, error) {
	c, ok := conditions[prior.Condition]
	if !ok {
		return nil, nil, fmt.Errorf("%s: unknown condition %q", runDir, prior.Condition)
	}
	task := s.NewTask(c.biased, prior.Seed)
	net, err := loadNet(s, runDir, prior.Condition, prior.Seed, task)
	if err != nil {
		return nil, nil, err
	}
	untrained, err := s.newUntrained(task, prior.Seed, 0)
	if err != nil {
		return nil, nil, err
	}
	nc := s.Network
	r := &Result{Condition: prior.Condition, Seed: prior.Seed, Task: s.Task, Noise: nc.Noise, NRec: nc.NRec,
		TrainSteps: prior.TrainSteps, SecondsPerStep: prior.SecondsPerStep, FinalLoss: prior.FinalLoss}
	if err := analyse(context.Background(), s, task, net, untrained, prior.Condition, prior.Seed, r, experiment.Quiet{}); err != nil {
		return nil, nil, err
	}
	return r, net, nil
}

// loadNet builds the condition's network and loads the trained weights
// saved under runDir (arrays/*.npy, checked against weights.safetensors).
func loadNet(s Config, runDir, cond string, seed uint64, task pathint.Task) (rnn.Net, error) {
	net, err := s.newNet(cond, task, seed, 0)
	if err != nil {
		return nil, err
	}
	saved, err := savedWeights(runDir)
	if err != nil {
		return nil, err
	}
	for _, p := range net.Params() {
		path := filepath.Join(runDir, "arrays", p.Name+".npy")
		w, shape, err := npy.ReadFloat32(path)
		if errors.Is(err, os.ErrNotExist) && saved[p.Name] != nil {
			// A run kept as its weights file alone (results/ bundles): the
			// arrays are conveniences the analyses rewrite.
			w, shape, err = saved[p.Name], []int{p.Value.Rows, p.Value.Cols}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a finished run (weights missing: %w)", runDir, err)
		}
		if len(shape) != 2 || shape[0] != p.Value.Rows || shape[1] != p.Value.Cols {
			return nil, fmt.Errorf("%s: shape %v, the config wants %dx%d", path, shape, p.Value.Rows, p.Value.Cols)
		}
		if st, ok := saved[p.Name]; !ok || len(st) != p.Value.Rows*p.Value.Cols || !slices.Equal(st, w) {
			return nil, fmt.Errorf("%s: %s differs from %s (one of them is damaged) — --force retrains the run", runDir, path, filepath.Join(runDir, "weights.safetensors"))
		}
		copy(p.Value.Data, w)
	}
	return net, nil
}

// LoadNetwork rebuilds a finished study point's trained network (its
// config.yaml and saved weights) with its training noise, for use
// outside the study (e.g. checking another implementation against it).
func LoadNetwork(runDir string) (rnn.Net, error) {
	s, err := readPointStudy(runDir, nil)
	if err != nil {
		return nil, err
	}
	if len(s.Conditions) != 1 || len(s.Seeds) != 1 {
		return nil, fmt.Errorf("%s: not a study point (its config.yaml lists %d conditions and %d seeds)", runDir, len(s.Conditions), len(s.Seeds))
	}
	cond, seed := s.Conditions[0], s.Seeds[0]
	return loadNet(s, runDir, cond, seed, s.NewTask(conditions[cond].biased, seed))
}

// savedWeights decodes a run's weights.safetensors (fully validated), by
// tensor name: the weights an analysis uses are checked against it.
func savedWeights(runDir string) (map[string][]float32, error) {
	ts, _, err := safetensors.ReadFile(filepath.Join(runDir, "weights.safetensors"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: not a finished run (%w)", runDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w — the file is damaged; --force retrains the run", err)
	}
	out := make(map[string][]float32, len(ts))
	for _, t := range ts {
		out[t.Name] = t.Data
	}
	return out, nil
}

// refreshAnalyses repeats a finished network's analyses in place (its
// summary, arrays and run report), keeping its trained weights.
func refreshAnalyses(s Config, run *experiment.RunDir, prior *Result) (*Result, error) {
	r, net, err := reanalyse(s, run.Path, prior)
	if err != nil {
		return nil, err
	}
	r.Dir = run.Path
	return r, writePoint(run, r, net)
}

// ResumePoint continues one interrupted network of an
// offline-reactivation study from its checkpoint and runs its analyses.
// dir is OUT/STUDY/runs/CONDITION_sSEED.
func ResumePoint(ctx context.Context, dir string, progress experiment.Progress, log io.Writer) (*Result, error) {
	dir = filepath.Clean(dir)
	s, err := readPointStudy(dir, nil)
	if err != nil {
		return nil, err
	}
	if len(s.Conditions) != 1 || len(s.Seeds) != 1 {
		return nil, fmt.Errorf("%s: not a study point (its config.yaml lists %d conditions and %d seeds)", dir, len(s.Conditions), len(s.Seeds))
	}
	cond, seed := s.Conditions[0], s.Seeds[0]
	studyDir := filepath.Dir(filepath.Dir(dir))
	s.Out.Dir, s.Name = filepath.Dir(studyDir), filepath.Base(studyDir)
	if s.pointDir(cond, seed) != dir {
		return nil, fmt.Errorf("%s: not where its study keeps %s seed %d (want OUT/STUDY/runs/%s)", dir, cond, seed, pointName(cond, seed))
	}
	if err := experiment.Resumable(dir, s.pointSpec(cond, seed), checkpointPath); err != nil {
		return nil, err
	}
	return runPoint(ctx, s, cond, seed, experiment.Env{Progress: progress, Log: log})
}

// readPointStudy parses a study point's config.yaml with overrides.
func readPointStudy(dir string, overrides []string) (Config, error) {
	path := filepath.Join(dir, "config.yaml")
	data, err := fsutil.ReadRegular(path, fsutil.MaxRecordBytes)
	if err != nil {
		return Config{}, fmt.Errorf("%s: not a run directory (no config.yaml)", dir)
	}
	s, err := Parse(data, overrides)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
