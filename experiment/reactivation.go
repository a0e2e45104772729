package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/circuitry-lab/circuitry/internal/parallel"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/task/headdir"
	"github.com/circuitry-lab/circuitry/task/navigation"
)

// ReactivationStudy is a config for `circuitry run`: noisy recurrent
// networks trained to path-integrate, then run with the input removed.
// Every field has the study's value as default (spatial task); quick
// presets shrink sizes and steps.
type ReactivationStudy struct {
	Study      string   `yaml:"study"`      // offline-reactivation
	Name       string   `yaml:"name"`       // study directory under out.dir
	Task       string   `yaml:"task"`       // spatial | headdir
	Seeds      []uint64 `yaml:"seeds"`      // one network per condition and seed (study: 0..4)
	Conditions []string `yaml:"conditions"` // noisy, noisy_biased, nonoise, nonoise_biased, gru_noisy, gru_noisy_biased, dale_noisy, dale_noisy_biased, dale_nonoise, dale_norm_noisy, dale_norm_noisy_biased, dale_divnorm_noisy, dale_divnorm_noisy_biased

	Network NetworkConfig    `yaml:"network"`
	Train   RNNTrainConfig   `yaml:"train"`
	Sleep   QuiescenceConfig `yaml:"quiescence"`
	Spatial SpatialConfig    `yaml:"spatial"`
	HeadDir HeadDirConfig    `yaml:"headdir"`
	Out     OutConfig        `yaml:"out"`
	// Workers trains this many networks at once (0 = one per core). The
	// studies' networks are small enough that whole networks in parallel
	// use the cores better than splitting each product; results do not
	// depend on it.
	Workers int `yaml:"workers"`

	force bool // retrain points whose run directories hold another config (--force)
}

// WithForce returns the study with --force set: points whose directories
// hold another config, or no record, are retrained (only their own files
// are removed).
func (s ReactivationStudy) WithForce(force bool) ReactivationStudy {
	s.force = force
	return s
}

// NetworkConfig is the continuous-time RNN.
type NetworkConfig struct {
	NIn        int     `yaml:"n_in"`       // inputs; 0 = the task's (spatial 2: velocity; head direction 1: angular velocity)
	NRec       int     `yaml:"n_rec"`      // recurrent units (spatial 512, head direction 128)
	Cells      int     `yaml:"cells"`      // target cells = outputs = initial-state code size (512)
	Activation string  `yaml:"activation"` // relu | tanh
	Dt         float64 `yaml:"dt"`         // network time step, s (0.02); leak = dt/tau
	Tau        float64 `yaml:"tau"`        // time constant, s (spatial 0.1, head direction 0.04); must be >= dt
	Sigma2Rec  float64 `yaml:"sigma2_rec"` // recurrent noise variance of noisy conditions (spatial 1e-4, head direction 1e-2), >= 0
	Noise      string  `yaml:"noise"`      // gaussian (default, zero mean) | uniform ([0, 1), the reference code's)
	Sigma2In   float64 `yaml:"sigma2_in"`  // input noise variance (0)
	Sigma2Out  float64 `yaml:"sigma2_out"` // output noise variance (0)
	// InhibitoryFraction is the share of inhibitory units of the dale_*
	// conditions' networks (0.2, the cortical ratio); in (0, 1).
	InhibitoryFraction float64 `yaml:"inhibitory_fraction"`
	// NormGain scales the normalised drive of the dale_norm_* and
	// dale_divnorm_* conditions (1): unit-variance activity needs tiny
	// read-out weights, which Adam's fixed step size makes noisy.
	NormGain float64 `yaml:"norm_gain"`
}

// RNNTrainConfig is Adam on fresh batches.
type RNNTrainConfig struct {
	Steps    int     `yaml:"steps"`     // spatial 2,500; head direction 20,000
	Batch    int     `yaml:"batch"`     // trajectories per step (200)
	SeqLen   int     `yaml:"seq_len"`   // steps per trajectory (100)
	LR       float64 `yaml:"lr"`        // Adam learning rate (1e-3)
	LogEvery int     `yaml:"log_every"` // steps between metrics records
	// LRSchedule is constant (the study's) or cosine (to 0 over all steps).
	LRSchedule string `yaml:"lr_schedule"`
	// CheckpointEvery writes a checkpoint every N steps (0 = only on
	// interruption); re-running the study resumes from it.
	CheckpointEvery int `yaml:"checkpoint_every"`
}

// QuiescenceConfig sets the offline analyses.
type QuiescenceConfig struct {
	Steps       int     `yaml:"steps"`        // quiescent steps for densities (1000)
	Batch       int     `yaml:"batch"`        // trajectories (200); also the waking test batch
	NoiseFactor float64 `yaml:"noise_factor"` // quiescent noise sd = factor * sigma_rec (sqrt 2)
	Noise2Sleep float64 `yaml:"noise2_sleep"` // noise variance added at sleep to networks trained without noise, and of the untrained control (2e-4)
	StepSteps   int     `yaml:"step_steps"`   // steps for the step-distance measure (100)
	VarSteps    int     `yaml:"var_steps"`    // steps for the variance measure (2000)
	VarDiscard  int     `yaml:"var_discard"`  // of which the first are discarded (1000)
	VarBatch    int     `yaml:"var_batch"`    // trajectories for the variance measure (500)
	DriftStates int     `yaml:"drift_states"` // sleep states sampled for the drift field (2000)
	KLSamples   int     `yaml:"kl_samples"`   // Monte-Carlo samples (2500)
	KDEPoints   int     `yaml:"kde_points"`   // at most this many decoded states per KDE (subsampled evenly); 0 = all
}

// SpatialConfig is the navigation task.
type SpatialConfig struct {
	Box        float64 `yaml:"box"`         // side, m (2.2)
	PlaceSigma float64 `yaml:"place_sigma"` // place-field width, m (0.2)
	Surround   float64 `yaml:"surround"`    // difference-of-Gaussians surround scale; 0 = plain softmax
	Drift      float64 `yaml:"drift"`       // biased conditions' pull toward the anchor (0.05)
}

// HeadDirConfig is the head-direction task.
type HeadDirConfig struct {
	Spread float64 `yaml:"spread"` // von Mises tuning spread, rad (pi/6)
}

// DefaultReactivationStudy is the spatial study at the paper's scale.
func DefaultReactivationStudy() ReactivationStudy {
	return ReactivationStudy{
		Study: "offline-reactivation", Name: "offline-reactivation", Task: "spatial",
		Seeds: []uint64{0, 1, 2, 3, 4}, Conditions: []string{"noisy", "noisy_biased", "nonoise", "nonoise_biased"},
		Network: NetworkConfig{NRec: 512, Cells: 512, Activation: "relu", Dt: 0.02, Tau: 0.1, Sigma2Rec: 1e-4, Noise: "gaussian", InhibitoryFraction: 0.2, NormGain: 1},
		Train:   RNNTrainConfig{Steps: 2500, Batch: 200, SeqLen: 100, LR: 1e-3, LogEvery: 50, CheckpointEvery: 250},
		Sleep: QuiescenceConfig{Steps: 1000, Batch: 200, NoiseFactor: math.Sqrt2, Noise2Sleep: 2e-4, StepSteps: 100,
			VarSteps: 2000, VarDiscard: 1000, VarBatch: 500, DriftStates: 2000, KLSamples: 2500},
		Spatial: SpatialConfig{Box: 2.2, PlaceSigma: 0.2, Drift: 0.05},
		HeadDir: HeadDirConfig{Spread: math.Pi / 6},
		Out:     OutConfig{Dir: "runs"},
	}
}

// reactivationCondition is how a condition's network is trained: noise
// on or off, biased task or not, and the architecture (CT-RNN, GRU, or a
// Dale's-law CT-RNN with or without normalising inhibition).
type reactivationCondition struct {
	noisy, biased, gru, dale bool
	normalize                string // rnn.Config.Normalize of the Dale networks
}

var reactivationConditions = map[string]reactivationCondition{
	"noisy": {noisy: true}, "noisy_biased": {noisy: true, biased: true},
	"nonoise": {}, "nonoise_biased": {biased: true},
	"gru_noisy": {noisy: true, gru: true}, "gru_noisy_biased": {noisy: true, biased: true, gru: true},
	"dale_noisy": {noisy: true, dale: true}, "dale_noisy_biased": {noisy: true, biased: true, dale: true},
	"dale_nonoise":    {dale: true},
	"dale_norm_noisy": {noisy: true, dale: true, normalize: "layer"}, "dale_norm_noisy_biased": {noisy: true, biased: true, dale: true, normalize: "layer"},
	"dale_divnorm_noisy": {noisy: true, dale: true, normalize: "divisive"}, "dale_divnorm_noisy_biased": {noisy: true, biased: true, dale: true, normalize: "divisive"},
}

// reactivationConditionNames lists the conditions for error messages.
func reactivationConditionNames() string {
	names := make([]string, 0, len(reactivationConditions))
	for k := range reactivationConditions {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// ParseReactivationStudy decodes and validates a study config.
func ParseReactivationStudy(data []byte, overrides []string) (ReactivationStudy, error) {
	s := DefaultReactivationStudy()
	if err := decodeStrict(data, overrides, &s); err != nil {
		return s, err
	}
	return s, s.Validate()
}

// Validate checks every field, naming it.
func (s *ReactivationStudy) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) { errs = append(errs, fmt.Errorf("%s = %v: %s", field, v, want)) }
	if s.Study != "offline-reactivation" {
		bad("study", fmt.Sprintf("%q", s.Study), `want "offline-reactivation"`)
	}
	if s.Name == "" || filepath.Base(s.Name) != s.Name {
		bad("name", fmt.Sprintf("%q", s.Name), "want a directory name without slashes")
	}
	if s.Task != "spatial" && s.Task != "headdir" {
		bad("task", fmt.Sprintf("%q", s.Task), `want "spatial" or "headdir"`)
	}
	if len(s.Seeds) == 0 {
		bad("seeds", "[]", "want at least one seed")
	}
	if len(s.Conditions) == 0 {
		bad("conditions", "[]", "want at least one condition")
	}
	for i, c := range s.Conditions {
		if _, ok := reactivationConditions[c]; !ok {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), "want one of "+reactivationConditionNames())
		}
		if slices.Index(s.Conditions, c) < i {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), "listed twice")
		}
	}
	for i, seed := range s.Seeds {
		if slices.Index(s.Seeds, seed) < i {
			bad(fmt.Sprintf("seeds[%d]", i), seed, "listed twice (each seed is one network per condition)")
		}
	}
	n := s.Network
	if want := map[string]int{"spatial": 2, "headdir": 1}[s.Task]; n.NIn != 0 && want != 0 && n.NIn != want {
		bad("network.n_in", n.NIn, fmt.Sprintf("the %s task provides %d input(s); leave it 0 or set %d", s.Task, want, want))
	}
	if n.NRec < 1 {
		bad("network.n_rec", n.NRec, "want >= 1")
	}
	if !(n.NormGain > 0 && n.NormGain <= 100) {
		bad("network.norm_gain", n.NormGain, "want (0, 100]")
	}
	if !(n.InhibitoryFraction > 0 && n.InhibitoryFraction < 1) || int(n.InhibitoryFraction*float64(n.NRec)) < 1 {
		bad("network.inhibitory_fraction", n.InhibitoryFraction, "want in (0, 1), with at least one inhibitory unit")
	}
	if n.Cells < 3 {
		bad("network.cells", n.Cells, "want >= 3 (decoding uses the top 3)")
	}
	if n.Activation != "relu" && n.Activation != "tanh" {
		bad("network.activation", fmt.Sprintf("%q", n.Activation), `want "relu" or "tanh"`)
	}
	if !(n.Dt > 0) {
		bad("network.dt", n.Dt, "want > 0")
	}
	if !(n.Tau > 0) || n.Dt > n.Tau {
		bad("network.tau", n.Tau, fmt.Sprintf("want a time constant >= network.dt (%v): the Euler leak dt/tau must be <= 1", n.Dt))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"network.sigma2_rec", n.Sigma2Rec}, {"network.sigma2_in", n.Sigma2In}, {"network.sigma2_out", n.Sigma2Out}, {"quiescence.noise2_sleep", s.Sleep.Noise2Sleep}} {
		if !(f.v >= 0) {
			bad(f.name, f.v, "want a noise variance >= 0")
		}
	}
	if n.Noise != "gaussian" && n.Noise != "uniform" {
		bad("network.noise", fmt.Sprintf("%q", n.Noise), `want "gaussian" or "uniform"`)
	}
	t := s.Train
	if t.Steps < 1 {
		bad("train.steps", t.Steps, "want >= 1")
	}
	if s.Workers < 0 {
		bad("workers", s.Workers, "want >= 0 (0 = one per core)")
	}
	if t.Batch < 1 {
		bad("train.batch", t.Batch, "want >= 1")
	}
	if t.SeqLen < 2 {
		bad("train.seq_len", t.SeqLen, "want >= 2")
	}
	if !(t.LR > 0 && t.LR <= 1) {
		bad("train.lr", t.LR, "want (0, 1]")
	}
	if t.LogEvery < 1 {
		bad("train.log_every", t.LogEvery, "want >= 1")
	}
	if t.LRSchedule != "" && t.LRSchedule != "constant" && t.LRSchedule != "cosine" {
		bad("train.lr_schedule", fmt.Sprintf("%q", t.LRSchedule), `want "constant" or "cosine"`)
	}
	if t.CheckpointEvery < 0 {
		bad("train.checkpoint_every", t.CheckpointEvery, "want >= 0 (0 = only on interruption)")
	}
	q := s.Sleep
	if q.Steps < 2 || q.Batch < 1 || q.StepSteps < 2 || q.VarBatch < 1 || q.DriftStates < 1 || q.KLSamples < 1 {
		bad("quiescence", fmt.Sprintf("%+v", q), "want steps, step_steps >= 2 and batch, var_batch, drift_states, kl_samples >= 1")
	}
	if q.VarDiscard < 0 || q.VarSteps-q.VarDiscard < 2 {
		bad("quiescence.var_discard", q.VarDiscard, fmt.Sprintf("want 0 <= var_discard <= var_steps - 2 (var_steps = %d)", q.VarSteps))
	}
	if !(q.NoiseFactor >= 0) {
		bad("quiescence.noise_factor", q.NoiseFactor, "want >= 0")
	}
	if q.KDEPoints < 0 {
		bad("quiescence.kde_points", q.KDEPoints, "want >= 0 (0 = all)")
	}
	if !(s.Spatial.Box > 0) || !(s.Spatial.PlaceSigma > 0) || !(s.Spatial.Surround >= 0) || !(s.Spatial.Drift >= 0 && s.Spatial.Drift < 1) {
		bad("spatial", fmt.Sprintf("%+v", s.Spatial), "want box, place_sigma > 0, surround >= 0, drift in [0, 1)")
	}
	if !(s.HeadDir.Spread > 0) {
		bad("headdir.spread", s.HeadDir.Spread, "want > 0")
	}
	if s.Out.Dir == "" {
		bad("out.dir", `""`, "want a directory")
	}
	return errors.Join(errs...)
}

// Dir is the study's output directory.
func (s *ReactivationStudy) Dir() string { return filepath.Join(s.Out.Dir, s.Name) }

// newTask builds the task of a condition; the place cells come from the
// seed's "cells" stream, the same for every condition of that seed.
func (s *ReactivationStudy) newTask(biased bool, seed uint64) navTask {
	if s.Task == "headdir" {
		g := headdir.DefaultConfig()
		g.Steps = s.Train.SeqLen
		g.Biased = biased
		return &hdTask{gen: g, cells: headdir.NewCells(s.Network.Cells, s.HeadDir.Spread)}
	}
	g := navigation.DefaultConfig()
	g.Box, g.Steps = s.Spatial.Box, s.Train.SeqLen
	if biased {
		g.Drift = s.Spatial.Drift
	}
	return &spatialTask{gen: g, cells: navigation.NewPlaceCells(s.Network.Cells, g.Box, s.Spatial.PlaceSigma, s.Spatial.Surround, Stream(seed, "cells"))}
}

// RunReactivationStudy trains every (condition, seed) network not already
// finished, analyses it, and writes the study's tables and figures.
// Networks train Workers at a time.
func RunReactivationStudy(ctx context.Context, s ReactivationStudy, progress Progress, log io.Writer) (*ReactivationReport, error) {
	log = lockedWriter(log)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	pts := s.points()
	if err := s.checkPoints(pts); err != nil {
		return nil, err
	}
	lock, err := LockDir(s.Dir())
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	workers := s.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(pts))
	if workers > 1 {
		// One bar over the training steps of the networks still to train
		// (analyses are not counted, see runReactivationPoint).
		todo := 0
		for _, p := range pts {
			// Only the count: runReactivationPoint loads finished points.
			if _, err := os.Stat(filepath.Join(s.pointDir(p.cond, p.seed), "summary.json")); err != nil {
				todo++
			}
		}
		progress = &sharedProgress{p: progress, log: log}
		progress.(*sharedProgress).p.Start(fmt.Sprintf("%s (%d networks, %d to train, %d at a time)", s.Name, len(pts), todo, workers), s.Train.Steps*todo)
	}
	defer networkPerCore(workers)()
	results := make([]*ReactivationResult, len(pts))
	errs := make([]error, len(pts))
	parallel.Each(len(pts), workers, func(i int) {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			return
		}
		p := pts[i]
		if results[i], errs[i] = runReactivationPoint(ctx, s, p.cond, p.seed, progress, log); errs[i] != nil {
			errs[i] = fmt.Errorf("%s seed %d: %w", p.cond, p.seed, errs[i])
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if sp, ok := progress.(*sharedProgress); ok {
		sp.p.Finish(fmt.Sprintf("%s: %d networks trained and analysed", s.Name, len(pts)))
	}
	rep := newReactivationReport(s, results)
	return rep, rep.Write(s.Dir())
}

// checkPoints applies the integrity policy to every point before any is
// run, so a study whose config changed under finished points stops with
// nothing written.
func (s *ReactivationStudy) checkPoints(pts []reactivationPoint) error {
	var errs []string
	for _, p := range pts {
		if _, err := Inspect(s.pointDir(p.cond, p.seed), s.pointSpec(p.cond, p.seed), reactivationCheckpoint, s.force); err != nil {
			errs = append(errs, err.Error())
		}
	}
	return refusals(errs)
}

// reactivationPoint is one network of a study.
type reactivationPoint struct {
	cond string
	seed uint64
}

// points lists the study's networks, seed by seed, in the order runs,
// `reproduce --point` and the Slurm array index them.
func (s *ReactivationStudy) points() []reactivationPoint {
	var pts []reactivationPoint
	for _, seed := range s.Seeds {
		for _, cond := range s.Conditions {
			pts = append(pts, reactivationPoint{cond, seed})
		}
	}
	return pts
}

// pointName is a network's run directory name, CONDITION_sSEED.
func pointName(cond string, seed uint64) string { return fmt.Sprintf("%s_s%d", cond, seed) }

// pointDir is a network's run directory.
func (s *ReactivationStudy) pointDir(cond string, seed uint64) string {
	return filepath.Join(s.Dir(), "runs", pointName(cond, seed))
}

// networkPerCore keeps every product on its goroutine while at least one
// network per core trains side by side (splitting small products then
// only adds synchronisation) and returns what restores the setting.
func networkPerCore(workers int) (restore func()) {
	if workers < runtime.GOMAXPROCS(0) {
		return func() {}
	}
	old := kernels.SetMaxWorkers(1)
	return func() { kernels.SetMaxWorkers(old) }
}

// sharedProgress merges the progress of networks trained in parallel
// into one phase; their own phase summaries become log lines.
type sharedProgress struct {
	mu  sync.Mutex
	p   Progress
	log io.Writer
}

func (sp *sharedProgress) Start(string, int) {}

func (sp *sharedProgress) Add(n int, status string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.p.Add(n, status)
}

func (sp *sharedProgress) Finish(summary string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	fmt.Fprintln(sp.log, summary)
}
