package reactivation

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/task/headdir"
	"github.com/circuitry-lab/circuitry/task/navigation"
	"github.com/circuitry-lab/circuitry/task/pathint"
)

// Config is a config for `circuitry run`: noisy recurrent
// networks trained to path-integrate, then run with the input removed.
// Every field has the study's value as default (spatial task); quick
// presets shrink sizes and steps.
type Config struct {
	Study      string   `yaml:"study"`      // offline-reactivation
	Name       string   `yaml:"name"`       // study directory under out.dir
	Task       string   `yaml:"task"`       // spatial | headdir
	Seeds      []uint64 `yaml:"seeds"`      // one network per condition and seed (study: 0..4)
	Conditions []string `yaml:"conditions"` // noisy, noisy_biased, nonoise, nonoise_biased, gru_noisy, gru_noisy_biased, dale_noisy, dale_noisy_biased, dale_nonoise, dale_norm_noisy, dale_norm_noisy_biased, dale_divnorm_noisy, dale_divnorm_noisy_biased

	Network NetworkConfig        `yaml:"network"`
	Train   RNNTrainConfig       `yaml:"train"`
	Sleep   QuiescenceConfig     `yaml:"quiescence"`
	Spatial SpatialConfig        `yaml:"spatial"`
	HeadDir HeadDirConfig        `yaml:"headdir"`
	Out     experiment.OutConfig `yaml:"out"`
	// Workers trains this many networks at once (0 = one per core). The
	// studies' networks are small enough that whole networks in parallel
	// use the cores better than splitting each product; results do not
	// depend on it.
	Workers int `yaml:"workers"`
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
	Noise      string  `yaml:"noise"`      // uniform ([0, 1) x sigma, the authors' code's and the study presets') | gaussian (zero mean, the theory's)
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
	PCABatch    int     `yaml:"pca_batch"`    // trajectories of the PCA (1000), awake for train.seq_len steps
	PCASteps    int     `yaml:"pca_steps"`    // and asleep for this many steps (200)
	// DensityFigure draws the spatial densities as the KL's Gaussian KDEs
	// ("" or "kde", the default) or as histograms ("histogram"). Figures
	// only: no analysis depends on it.
	DensityFigure string `yaml:"density_figure,omitempty"`
	// Noise is the kind of the quiescent noise: empty (the study's) = the
	// training noise, network.noise. Naming the other kind is a deliberate
	// mismatch (the noise-mismatch check, docs/science/offline-reactivation.md check 8), printed
	// in the report.
	Noise string `yaml:"noise"`
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
	// Named options, off in the presets (the authors' task): each restores
	// circuitry's head-direction task before 2026-12-06. DropFirstStep:
	// trajectories simulate T+1 steps and drop the first (the authors
	// start from the first heading). OpenCellSpacing: preferred angles on
	// [-pi, pi) (the authors': n angles on [-pi, pi], both ends).
	DropFirstStep   bool `yaml:"drop_first_step,omitempty"`
	OpenCellSpacing bool `yaml:"open_cell_spacing,omitempty"`
}

// Default is the spatial study at the paper's scale.
func Default() Config {
	return Config{
		Study: "offline-reactivation", Name: "offline-reactivation", Task: "spatial",
		Seeds: []uint64{0, 1, 2, 3, 4}, Conditions: []string{"noisy", "noisy_biased", "nonoise", "nonoise_biased"},
		Network: NetworkConfig{NRec: 512, Cells: 512, Activation: "relu", Dt: 0.02, Tau: 0.1, Sigma2Rec: 1e-4, Noise: "uniform", InhibitoryFraction: 0.2, NormGain: 1},
		Train:   RNNTrainConfig{Steps: 2500, Batch: 200, SeqLen: 100, LR: 1e-3, LogEvery: 50, CheckpointEvery: 250},
		Sleep: QuiescenceConfig{Steps: 1000, Batch: 200, NoiseFactor: math.Sqrt2, Noise2Sleep: 2e-4, StepSteps: 100,
			VarSteps: 2000, VarDiscard: 1000, VarBatch: 500, DriftStates: 2000, KLSamples: 2500, PCABatch: 1000, PCASteps: 200},
		Spatial: SpatialConfig{Box: 2.2, PlaceSigma: 0.2, Drift: 0.05},
		HeadDir: HeadDirConfig{Spread: math.Pi / 6},
		Out:     experiment.OutConfig{Dir: "runs"},
	}
}

// condition is how a condition's network is trained: noise
// on or off, biased task or not, and the architecture (CT-RNN, GRU, or a
// Dale's-law CT-RNN with or without normalising inhibition).
type condition struct {
	noisy, biased, gru, dale bool
	normalize                string // rnn.Config.Normalize of the Dale networks
}

var conditions = map[string]condition{
	"noisy": {noisy: true}, "noisy_biased": {noisy: true, biased: true},
	"nonoise": {}, "nonoise_biased": {biased: true},
	"gru_noisy": {noisy: true, gru: true}, "gru_noisy_biased": {noisy: true, biased: true, gru: true},
	"dale_noisy": {noisy: true, dale: true}, "dale_noisy_biased": {noisy: true, biased: true, dale: true},
	"dale_nonoise":    {dale: true},
	"dale_norm_noisy": {noisy: true, dale: true, normalize: "layer"}, "dale_norm_noisy_biased": {noisy: true, biased: true, dale: true, normalize: "layer"},
	"dale_divnorm_noisy": {noisy: true, dale: true, normalize: "divisive"}, "dale_divnorm_noisy_biased": {noisy: true, biased: true, dale: true, normalize: "divisive"},
}

// conditionNames lists the conditions for error messages.
func conditionNames() string {
	names := make([]string, 0, len(conditions))
	for k := range conditions {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Parse decodes and validates a study config.
func Parse(data []byte, overrides []string) (Config, error) {
	return experiment.Decode(data, overrides, Default())
}

// Validate checks every field, naming it.
func (s *Config) Validate() error {
	var p experiment.Problems
	bad := p.Add
	p.StudyKey(s.Study, "offline-reactivation")
	p.DirName("name", s.Name)
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
		if _, ok := conditions[c]; !ok {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), "want one of "+conditionNames())
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
	s.validateNetwork(&p)
	s.validateTraining(&p)
	s.validateAnalyses(&p)
	if s.Out.Dir == "" {
		bad("out.dir", `""`, "want a directory")
	}
	return p.Err()
}

// validateAnalyses checks the quiescence, spatial and headdir sections.
func (s *Config) validateAnalyses(p *experiment.Problems) {
	bad := p.Add
	q := s.Sleep
	if q.Steps < 2 || q.Batch < 1 || q.StepSteps < 2 || q.VarBatch < 1 || q.DriftStates < 1 || q.KLSamples < 1 {
		bad("quiescence", fmt.Sprintf("%+v", q), "want steps, step_steps >= 2 and batch, var_batch, drift_states, kl_samples >= 1")
	}
	if q.PCABatch < 2 || q.PCASteps < 2 {
		bad("quiescence", fmt.Sprintf("pca_batch %d, pca_steps %d", q.PCABatch, q.PCASteps), "want pca_batch, pca_steps >= 2")
	}
	if q.VarDiscard < 0 || q.VarSteps-q.VarDiscard < 2 {
		bad("quiescence.var_discard", q.VarDiscard, fmt.Sprintf("want 0 <= var_discard <= var_steps - 2 (var_steps = %d)", q.VarSteps))
	}
	if !(q.NoiseFactor >= 0) {
		bad("quiescence.noise_factor", q.NoiseFactor, "want >= 0")
	}
	if q.Noise != "" && q.Noise != "gaussian" && q.Noise != "uniform" {
		bad("quiescence.noise", fmt.Sprintf("%q", q.Noise), `want "" (the training noise, network.noise), "gaussian" or "uniform"`)
	}
	if q.KDEPoints < 0 {
		bad("quiescence.kde_points", q.KDEPoints, "want >= 0 (0 = all)")
	}
	if f := q.DensityFigure; f != "" && f != "kde" && f != "histogram" {
		bad("quiescence.density_figure", fmt.Sprintf("%q", f), `want "kde" (the default) or "histogram"`)
	}
	if !(s.Spatial.Box > 0) || !(s.Spatial.PlaceSigma > 0) || !(s.Spatial.Surround >= 0) || !(s.Spatial.Drift >= 0 && s.Spatial.Drift < 1) {
		bad("spatial", fmt.Sprintf("%+v", s.Spatial), "want box, place_sigma > 0, surround >= 0, drift in [0, 1)")
	}
	if !(s.HeadDir.Spread > 0) {
		bad("headdir.spread", s.HeadDir.Spread, "want > 0")
	}
}

// validateTraining checks the training section and workers.
func (s *Config) validateTraining(p *experiment.Problems) {
	bad := p.Add
	t := s.Train
	p.AtLeast("train.steps", t.Steps, 1)
	p.Workers("workers", s.Workers)
	p.AtLeast("train.batch", t.Batch, 1)
	p.AtLeast("train.seq_len", t.SeqLen, 2)
	if !(t.LR > 0 && t.LR <= 1) {
		bad("train.lr", t.LR, "want (0, 1]")
	}
	p.AtLeast("train.log_every", t.LogEvery, 1)
	if t.LRSchedule != "" && t.LRSchedule != "constant" && t.LRSchedule != "cosine" {
		bad("train.lr_schedule", fmt.Sprintf("%q", t.LRSchedule), `want "constant" or "cosine"`)
	}
	if t.CheckpointEvery < 0 {
		bad("train.checkpoint_every", t.CheckpointEvery, "want >= 0 (0 = only on interruption)")
	}
}

// validateNetwork checks the network section (and the sleep noise variance).
func (s *Config) validateNetwork(p *experiment.Problems) {
	bad := p.Add
	n := s.Network
	if want := map[string]int{"spatial": 2, "headdir": 1}[s.Task]; n.NIn != 0 && want != 0 && n.NIn != want {
		bad("network.n_in", n.NIn, fmt.Sprintf("the %s task provides %d input(s); leave it 0 or set %d", s.Task, want, want))
	}
	p.AtLeast("network.n_rec", n.NRec, 1)
	if n.NRec > 1<<14 || n.Cells > 1<<14 {
		bad("network", fmt.Sprintf("n_rec %d, cells %d", n.NRec, n.Cells), "want n_rec and cells <= 16384")
	} else if params := n.NRec*n.NRec + 2*n.NRec*n.Cells; params > experiment.MaxParams {
		bad("network", fmt.Sprintf("n_rec %d, cells %d", n.NRec, n.Cells), fmt.Sprintf("%d parameters; at most %d", params, experiment.MaxParams))
	}
	// A training batch keeps every step's states and outputs for the
	// backward pass: bound them (400 million floats, 1.6 GB).
	if acts := int64(s.Train.SeqLen) * int64(s.Train.Batch) * int64(n.NRec+n.Cells); acts > 400_000_000 {
		bad("train", fmt.Sprintf("seq_len %d x batch %d", s.Train.SeqLen, s.Train.Batch), fmt.Sprintf("%d activations kept for the backward pass; at most 400 million", acts))
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
}

// Dir is the study's output directory.
func (s *Config) Dir() string { return filepath.Join(s.Out.Dir, s.Name) }

// NewTask builds the task of a condition; the place cells come from the
// seed's "cells" stream, the same for every condition of that seed.
func (s *Config) NewTask(biased bool, seed uint64) pathint.Task {
	if s.Task == "headdir" {
		g := headdir.DefaultConfig()
		g.Steps, g.Biased, g.DropFirstStep = s.Train.SeqLen, biased, s.HeadDir.DropFirstStep
		return pathint.NewHeadDir(g, headdir.NewCells(s.Network.Cells, s.HeadDir.Spread, s.HeadDir.OpenCellSpacing))
	}
	g := navigation.DefaultConfig()
	g.Box, g.Steps = s.Spatial.Box, s.Train.SeqLen
	if biased {
		g.Drift = s.Spatial.Drift
	}
	return pathint.NewSpatial(g, navigation.NewPlaceCells(s.Network.Cells, g.Box, s.Spatial.PlaceSigma, s.Spatial.Surround, experiment.Stream(seed, "cells")))
}

// point is one network of a study.
type point struct {
	cond string
	seed uint64
}

// points lists the study's networks, seed by seed, in the order runs,
// `reproduce --point` and the Slurm array index them.
func (s *Config) points() []point {
	var pts []point
	for _, seed := range s.Seeds {
		for _, cond := range s.Conditions {
			pts = append(pts, point{cond, seed})
		}
	}
	return pts
}

// pointName is a network's run directory name, CONDITION_sSEED.
func pointName(cond string, seed uint64) string { return fmt.Sprintf("%s_s%d", cond, seed) }

// pointDir is a network's run directory.
func (s *Config) pointDir(cond string, seed uint64) string {
	return filepath.Join(s.Dir(), "runs", pointName(cond, seed))
}

// sleepNoise is the quiescent noise kind: quiescence.noise, or the
// training noise when that is empty.
func (s *Config) sleepNoise() string {
	if s.Sleep.Noise != "" {
		return s.Sleep.Noise
	}
	return s.Network.Noise
}
