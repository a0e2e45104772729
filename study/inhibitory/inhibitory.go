package inhibitory

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
	"github.com/circuitry-lab/circuitry/tensor"
)

// HParams is one of the study's random hyper-parameter configurations.
type HParams struct {
	LR, LRWei, LRWix float64
	H                int
}

// StudyHParams are the 30 configurations of the inhibitory-normalisation
// study (log-uniform lr in [1e-3, 1e-2], lr_wei in [1e-5, 1e-2], lr_wix in
// [1e-2, 1]; H = int(U(100, 500))), the same for every condition and eps.
var StudyHParams = []HParams{
	{0.00469486, 0.000497915, 0.831381, 178}, {0.00578753, 0.000273659, 0.102529, 210},
	{0.00945172, 0.000654232, 0.163958, 282}, {0.00354941, 3.02565e-05, 0.0420801, 252},
	{0.00110468, 0.0071393, 0.0287811, 242}, {0.0088641, 0.00124591, 0.0118124, 263},
	{0.00971297, 0.000123192, 0.0121209, 354}, {0.00496505, 3.353e-05, 0.507033, 228},
	{0.00809097, 0.000154758, 0.310769, 197}, {0.00110448, 0.00054707, 0.377566, 488},
	{0.00940732, 0.00115565, 0.714641, 308}, {0.00525013, 1.84425e-05, 0.0728046, 198},
	{0.00150212, 1.7195e-05, 0.175837, 197}, {0.00980992, 0.00294885, 0.646465, 234},
	{0.0022141, 0.000386656, 0.181476, 284}, {0.00224431, 0.00444671, 0.233991, 375},
	{0.00306802, 0.000925664, 0.0148007, 453}, {0.00231195, 0.00594446, 0.45829, 479},
	{0.00126556, 0.000652394, 0.155054, 436}, {0.00327563, 0.00394751, 0.569815, 440},
	{0.0041793, 0.00144166, 0.0406222, 252}, {0.00258298, 0.00339405, 0.307569, 294},
	{0.00525931, 0.000175845, 0.150085, 473}, {0.0075898, 0.00181428, 0.0314348, 252},
	{0.00411271, 0.00531563, 0.52005, 293}, {0.00231368, 0.00183594, 0.360706, 206},
	{0.00306435, 0.00019926, 0.0577276, 190}, {0.00205351, 1.38328e-05, 0.25188, 348},
	{0.00547999, 0.00582549, 0.0414981, 468}, {0.00225427, 0.00620318, 0.0892954, 332},
}

// Config is a config for `circuitry run`: every (condition, eps,
// hyper-parameter configuration, replicate) point of the
// inhibitory-normalisation study, then a comparison.
type Config struct {
	Study          string    `yaml:"study"`           // inhibitory-normalization
	Name           string    `yaml:"name"`            // study directory under out.dir
	Seed           uint64    `yaml:"seed"`            // point seed = seed + replicate: the authors use seed 0 for every config
	Conditions     []string  `yaml:"conditions"`      // see ei.Conditions
	Eps            []float64 `yaml:"eps"`             // luminosity shift bounds, each in [0, 1]
	HParams        []int     `yaml:"hparams"`         // indices into the study's 30 configurations; empty = all 30
	Replicates     int       `yaml:"replicates"`      // seeds per point; 1 = the authors' protocol
	Epochs         int       `yaml:"epochs"`          // per run
	BatchSize      int       `yaml:"batch_size"`      // 32 in the study
	Lambda         float64   `yaml:"lambda"`          // I-Norm local-loss weight (0.01)
	LabelSmoothing float64   `yaml:"label_smoothing"` // 0.1
	Momentum       float64   `yaml:"momentum"`        // 0 in the study
	WeightDecay    float64   `yaml:"weight_decay"`    // 0 in the study
	AlignEvery     int       `yaml:"align_every"`     // gradient-cosine measurement period in steps

	// Options that are not the authors' protocol, all off in the study's
	// presets; each says what it changes.
	//
	// DANNCorrection: Cornford et al.'s corrected SGD for the DANN layers'
	// Wix (gradient / sqrt(ne)) and Wei (/ d): hidden Wix steps ~sqrt(H)
	// times and Wei steps d times smaller than the study's plain SGD.
	DANNCorrection bool `yaml:"dann_correction"`
	// ZHatBackward: I-Norm's full and decorrelate backward use the
	// standardized ẑ instead of the raw z (full becomes the exact
	// layer-norm Jacobian; Wex/b updates differ by 8-24% where the learned
	// normalisation is imperfect).
	ZHatBackward bool `yaml:"zhat_backward"`
	// Precision: float16_autocast (the presets': an emulation of the
	// autocast the authors' GPU runs used — fp16 product inputs and
	// results, fp32 accumulation and everything else; see
	// tensor.Float16Autocast; not bit-identical to a GPU's fp16 products)
	// or float32 (a config's default when unset: the named option; it
	// changed no collapse count at medium scale, docs/results). The science
	// file suggests fp16 may explain part of inference-only I-Norm's
	// divergences (9-13 of 30 per eps).
	Precision string `yaml:"precision"`
	// DANNOrder: inputs_first computes every DANN layer (E-I hidden layers
	// and all output layers) as x Wex^T - (x Wix^T) Wei^T instead of the
	// authors' x (Wex - Wei Wix)^T; under float16 autocast it rounds two
	// large, nearly cancelling activations to half instead of the small
	// weight product (classify.ModelConfig.DANNOrder). Empty: the authors'.
	DANNOrder string `yaml:"dann_order"`
	// Shuffle: a new training order every epoch instead of file order.
	Shuffle bool `yaml:"shuffle"`
	// FixedTestShift: the test set's shifts drawn once instead of afresh
	// on every evaluation.
	FixedTestShift bool `yaml:"fixed_test_shift"`
	// SeedPerConfig: point seed = seed + 1000*config + replicate, so each
	// configuration gets its own initial weights and draws; the authors
	// use one seed for all.
	SeedPerConfig bool `yaml:"seed_per_config"`

	TrainLimit int                  `yaml:"train_limit"` // 0 = all training images
	Workers    int                  `yaml:"workers"`     // runs in parallel; 0 = one per core
	DataDir    string               `yaml:"data_dir"`    // empty: discover
	Out        experiment.OutConfig `yaml:"out"`
}

// Default is the authors' protocol at full scale.
func Default() Config {
	return Config{
		Study: "inhibitory-normalization", Name: "inhibitory-normalization", Seed: 0,
		Conditions: []string{"ei", "ei_ln", "e_ln", "inorm", "inorm_full"},
		Eps:        []float64{0, 0.25, 0.5, 0.75}, Replicates: 1, Epochs: 50, BatchSize: 32,
		Lambda: 0.01, LabelSmoothing: 0.1, AlignEvery: 10, Precision: "float32", Out: experiment.OutConfig{Dir: "runs"},
	}
}

// Parse decodes and validates a study config.
func Parse(data []byte, overrides []string) (Config, error) {
	return experiment.Decode(data, overrides, Default())
}

// Validate checks every field, naming it.
func (s *Config) Validate() error {
	var p experiment.Problems
	bad := p.Add
	p.StudyKey(s.Study, "inhibitory-normalization")
	p.DirName("name", s.Name)
	if o := s.DANNOrder; o != "" && o != classify.WeightsFirst && o != classify.InputsFirst {
		bad("dann_order", fmt.Sprintf("%q", o), `want "weights_first" (the authors') or "inputs_first"`)
	}
	if _, err := tensor.ParsePrecision(s.Precision); err != nil {
		bad("precision", fmt.Sprintf("%q", s.Precision), `want "float32" or "float16_autocast"`)
	}
	if len(s.Conditions) == 0 {
		bad("conditions", "[]", "want at least one condition")
	}
	seen := map[string]bool{}
	for i, c := range s.Conditions {
		if _, ok := ei.Conditions[c]; !ok {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), fmt.Sprintf("want one of %v", ei.ConditionNames()))
		}
		if seen[c] {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), "listed twice")
		}
		seen[c] = true
	}
	if len(s.Eps) == 0 {
		bad("eps", "[]", "want at least one luminosity bound")
	}
	for i, e := range s.Eps {
		if !(e >= 0 && e <= 1) {
			bad(fmt.Sprintf("eps[%d]", i), e, "want a shift bound in [0, 1]")
		}
		if slices.Index(s.Eps, e) < i {
			bad(fmt.Sprintf("eps[%d]", i), e, "listed twice")
		}
	}
	for i, h := range s.HParams {
		if h < 0 || h >= len(StudyHParams) {
			bad(fmt.Sprintf("hparams[%d]", i), h, fmt.Sprintf("want an index in [0, %d)", len(StudyHParams)))
		}
		if slices.Index(s.HParams, h) < i {
			bad(fmt.Sprintf("hparams[%d]", i), h, "listed twice")
		}
	}
	p.AtLeast("replicates", s.Replicates, 1)
	p.AtLeast("epochs", s.Epochs, 1)
	p.AtLeast("batch_size", s.BatchSize, 1)
	if !(s.Lambda >= 0) {
		bad("lambda", s.Lambda, "want a local-loss weight >= 0")
	}
	if !(s.LabelSmoothing >= 0 && s.LabelSmoothing < 1) {
		bad("label_smoothing", s.LabelSmoothing, "want [0, 1)")
	}
	if !(s.Momentum >= 0 && s.Momentum < 1) {
		bad("momentum", s.Momentum, "want [0, 1)")
	}
	if !(s.WeightDecay >= 0) {
		bad("weight_decay", s.WeightDecay, "want >= 0")
	}
	p.AtLeast("align_every", s.AlignEvery, 0)
	p.AtLeast("train_limit", s.TrainLimit, 0)
	if s.Workers < 0 {
		bad("workers", s.Workers, "want >= 0 (0 = one per core)")
	}
	if s.Workers > experiment.MaxWorkers {
		bad("workers", s.Workers, fmt.Sprintf("want at most %d", experiment.MaxWorkers))
	}
	if s.Out.Dir == "" {
		bad("out.dir", `""`, "want a directory")
	}
	return p.Err()
}

// Point is one run of a study.
type Point struct {
	Condition string          `json:"condition"`
	Eps       float64         `json:"eps"`
	HParam    int             `json:"hparam"`
	Replicate int             `json:"replicate"`
	Config    classify.Config `json:"-"`
}

// hparamIndices returns the configured indices, or all 30.
func (s *Config) hparamIndices() []int {
	if len(s.HParams) > 0 {
		return s.HParams
	}
	idx := make([]int, len(StudyHParams))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// Dir is the study's output directory.
func (s *Config) Dir() string { return filepath.Join(s.Out.Dir, s.Name) }

// Points expands the study into runs, each with a complete, valid Config.
func (s *Config) Points() ([]Point, error) {
	var pts []Point
	for _, hp := range s.hparamIndices() {
		h := StudyHParams[hp]
		for _, eps := range s.Eps {
			for _, cond := range s.Conditions {
				for r := 0; r < s.Replicates; r++ {
					c := classify.DefaultConfig()
					// The shortest decimal that round-trips: distinct eps, distinct names.
					c.Name = fmt.Sprintf("%s_eps%s_hp%02d_r%d", cond, strconv.FormatFloat(eps, 'g', -1, 64), hp, r)
					c.Seed = s.Seed + uint64(r)
					if s.SeedPerConfig {
						c.Seed += uint64(1000 * hp)
					}
					c.Data = classify.DataConfig{Dataset: "fashion-mnist", Dir: s.DataDir, Luminosity: eps, TrainLimit: s.TrainLimit, FixedTestShift: s.FixedTestShift}
					c.Model = classify.ModelConfig{Kind: "dale", Hidden: []int{h.H, h.H}, Activation: "relu", Condition: cond, Lambda: s.Lambda,
						DANNCorrection: s.DANNCorrection, ZHatBackward: s.ZHatBackward, Precision: pointPrecision(s.Precision), DANNOrder: pointOrder(s.DANNOrder)}
					c.Train = classify.TrainConfig{Epochs: s.Epochs, BatchSize: s.BatchSize, Optimizer: "sgd", LR: h.LR, LRWix: h.LRWix, LRWei: h.LRWei,
						LRSchedule: "constant", Momentum: s.Momentum, WeightDecay: s.WeightDecay, LabelSmoothing: s.LabelSmoothing,
						EvalBatch: 1000, AlignEvery: s.AlignEvery, Shuffle: s.Shuffle}
					c.Out = experiment.OutConfig{Dir: filepath.Join(s.Dir(), "runs")}
					if err := c.Validate(); err != nil {
						return nil, fmt.Errorf("point %s: %w", c.Name, err)
					}
					pts = append(pts, Point{Condition: cond, Eps: eps, HParam: hp, Replicate: r, Config: c})
				}
			}
		}
	}
	return pts, nil
}

// PointResult is a finished point.
type PointResult struct {
	Point
	Summary *classify.Summary `json:"summary"`
	Curve   []float64         `json:"test_acc_curve"`
}

// loadPointResult reads a finished point's summary and test-accuracy curve.
func loadPointResult(p Point) (PointResult, error) {
	dir := filepath.Join(p.Config.Out.Dir, p.Config.Name)
	sum, err := classify.LoadSummary(dir)
	if err != nil {
		return PointResult{}, err
	}
	recs, err := classify.ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return PointResult{}, fmt.Errorf("finished run with damaged metrics: %w — --force retrains it", err)
	}
	r := PointResult{Point: p, Summary: sum}
	for _, rec := range recs {
		r.Curve = append(r.Curve, rec.TestAcc)
	}
	return r, nil
}

// pointPrecision is a point's model.precision: empty for float32, so
// float32 points keep the fingerprint they had before the option existed.
// pointOrder is the point's model.dann_order: the authors' order is
// written out, so every run's config.yaml says which order trained it.
func pointOrder(o string) string {
	if o == "" {
		return classify.WeightsFirst
	}
	return o
}

func pointPrecision(p string) string {
	if p == "float32" {
		return ""
	}
	return p
}
