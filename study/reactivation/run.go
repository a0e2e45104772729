package reactivation

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/task/pathint"
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
	wakeTrue                       []float64      // its true positions or headings (steps x b x dim), as wake
	tuning                         []float64      // the target cells' centres or preferred headings
	wakeHidden, quietHidden        []float32      // subsampled hidden states (rows of n_rec)
	b, t, tq, dim                  int
	nulls                          nullKLs // measured when the study's report is written
}

// checkpointPath is where a study point keeps its checkpoint.
const checkpointPath = experiment.CheckpointPath

func init() {
	experiment.RegisterHeadline("reactivation", "decode_err", "kl_quiescent_waking", "quiescent_variance", "seconds_per_step")
	// A record's seconds are the training time so far.
	experiment.RegisterTensorBoard("reactivation", experiment.TensorBoardTags{
		Rename: map[string]string{"seconds": "time/elapsed_seconds"}, Seconds: "seconds"})
}

// pointSpec is the identity of one network of the study: the study config
// reduced to that condition and seed (its config.yaml), less where it is
// written and how many networks train at once.
func (s *Config) pointSpec(cond string, seed uint64) experiment.RunSpec {
	c := *s
	c.Conditions, c.Seeds = []string{cond}, []uint64{seed}
	// The quiescence section is read only by the offline analyses: a change
	// there re-analyses a finished network with its saved weights.
	spec := experiment.RunSpec{Kind: "reactivation", Config: experiment.ToYAML(c), Neutral: []string{"name", "out.dir", "workers", "train.checkpoint_every", "quiescence.density_figure"},
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
// policy decides for its directory (experiment.Execute; env.Force:
// retrain one that holds another config), then runs its offline analyses
// and writes its run directory. resumeOnly refuses anything but resuming.
func runPoint(ctx context.Context, s Config, cond string, seed uint64, env experiment.Env, resumeOnly bool) (*Result, error) {
	p := networkRun{s: s, cond: cond, seed: seed, env: env, name: pointName(cond, seed)}
	r, _, err := experiment.Execute(ctx, s.pointDir(cond, seed), s.pointSpec(cond, seed),
		experiment.ExecuteOptions{Force: env.Force, ResumeOnly: resumeOnly}, p)
	return r, err
}

// networkRun is one network's part of the engine's run lifecycle.
type networkRun struct {
	s    Config
	cond string
	seed uint64
	env  experiment.Env
	name string
}

// Reuse loads a finished network's results; a results bundle (config,
// record, summary, metrics, weights; no arrays/) is re-analysed instead:
// the analyses are a function of the verified weights and the analysis
// keys, so they are computed again, not trusted.
func (p networkRun) Reuse(run *experiment.RunDir) (*Result, error) {
	if recordsOnly(run.Path) {
		fmt.Fprintf(p.env.Log, "%s: finished earlier with the same config; its analysis arrays were not kept (a results bundle), repeating the analyses with its saved weights\n", p.name)
		return p.refresh(run)
	}
	r, err := loadResult(run.Path)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(p.env.Log, "%s: finished earlier with the same config, reusing %s\n", p.name, run.Path)
	return r, nil
}

// Reanalyse repeats the analyses of a network finished with an older
// analysis version or other quiescence settings, with its saved weights.
func (p networkRun) Reanalyse(run *experiment.RunDir) (*Result, error) {
	prior, err := readSummary(run.Path)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(p.env.Log, "%s: finished earlier with analysis version %d or other quiescence settings; repeating the analyses (version %d) with its saved weights\n",
		p.name, prior.AnalysisVersion, AnalysisVersion)
	return refreshAnalyses(p.s, run, prior)
}

func (p networkRun) refresh(run *experiment.RunDir) (*Result, error) {
	prior, err := readSummary(run.Path)
	if err != nil {
		return nil, err
	}
	return refreshAnalyses(p.s, run, prior)
}

// Train trains the network (from its checkpoint when resuming), runs its
// offline analyses and writes them.
func (p networkRun) Train(ctx context.Context, run *experiment.RunDir, resume bool) (*Result, error) {
	s, env := p.s, p.env
	t, err := newTrainer(s, p.cond, p.seed, run, env.GEMMWorkers)
	if err != nil {
		return nil, err
	}
	if resume {
		if err := t.resume(); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.Log, "%s: resuming from step %d (%s)\n", p.name, t.first, filepath.Join(run.Path, checkpointPath))
	}
	r := &Result{Condition: p.cond, Seed: p.seed, Task: s.Task, Noise: s.Network.Noise, NRec: s.Network.NRec, TrainSteps: s.Train.Steps, Dir: run.Path}
	if err := t.train(ctx, env.Progress, r); err != nil {
		return nil, err
	}
	analysisProgress := env.Progress
	if _, shared := env.Progress.(*experiment.SharedProgress); shared {
		// One bar over networks trained side by side counts training steps
		// only: an analysis unit costs ~1/100 of a step and would skew the ETA.
		analysisProgress = experiment.Quiet{}
	}
	untrained, err := s.newUntrained(t.task, p.seed, env.GEMMWorkers)
	if err != nil {
		return nil, err
	}
	if err := analyse(ctx, s, t.task, t.net, untrained, p.cond, p.seed, r, analysisProgress); err != nil {
		return nil, err
	}
	if err := writePoint(run, r, t.net); err != nil {
		return nil, err
	}
	fmt.Fprintf(env.Log, "%s: decode err %.4f (untrained %.4f), KL %.3f (untrained %.3f, uniform %.3f)\n", p.name,
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
