package classify

import (
	"fmt"
	"strings"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Config is a classifier training run. Every field has a default (see
// DefaultConfig) and a range checked by Validate.
type Config struct {
	Name  string               `yaml:"name"`  // run directory name under out.dir
	Seed  uint64               `yaml:"seed"`  // root of every random stream
	Data  DataConfig           `yaml:"data"`  // where the images come from and how they are shifted
	Model ModelConfig          `yaml:"model"` // network shape
	Train TrainConfig          `yaml:"train"` // optimisation
	Out   experiment.OutConfig `yaml:"out"`   // where results go
}

// DataConfig selects and transforms the dataset.
type DataConfig struct {
	Dataset    string  `yaml:"dataset"`     // fashion-mnist
	Dir        string  `yaml:"dir"`         // empty: discover (--data, $CIRCUITRY_DATA, Debian, cache, embedded)
	Luminosity float64 `yaml:"luminosity"`  // eps: per-image additive shift U(-eps, eps), train and test, in [0, 1]
	TrainLimit int     `yaml:"train_limit"` // use only the first N training images; 0 = all
	// FixedTestShift draws the test set's luminosity shifts once, so every
	// epoch is evaluated on the same images (true); false draws them
	// afresh on every evaluation, as the authors' code does.
	FixedTestShift bool `yaml:"fixed_test_shift"`
}

// ModelConfig is the network.
type ModelConfig struct {
	Kind       string `yaml:"kind"`       // mlp | dale (the inhibitory-normalisation study's networks)
	Hidden     []int  `yaml:"hidden"`     // hidden widths, e.g. [500, 500]
	Activation string `yaml:"activation"` // mlp: relu | tanh (dale networks use ReLU)
	LayerNorm  bool   `yaml:"layer_norm"` // mlp: layer norm (no affine) on each hidden pre-activation
	// mlp: subtract each image's mean pixel before the first layer (no
	// parameters), undoing the luminosity shift wherever no pixel clips.
	CenterInput bool    `yaml:"center_input"`
	Condition   string  `yaml:"condition"`  // dale: ei, ei_ln, e_ln, ei_ln_identity, mlp, inorm, inorm_full, inorm_center, inorm_fa_center, inorm_scale, inorm_decorrelate
	Lambda      float64 `yaml:"lambda"`     // dale: weight of the I-Norm local loss, >= 0
	Inhibitory  []int   `yaml:"inhibitory"` // dale: interneurons per hidden layer; empty = the study's max(1, floor(0.1 H))
	// dale: divide DANN layers' Wix gradients by sqrt(ne) and Wei gradients
	// by d before each step (Cornford et al. 2021's corrected SGD). Off in
	// the inhibitory-normalisation study, whose SGD is plain (update, then
	// clip at 0): on, hidden Wix steps come out ~sqrt(H) times and Wei
	// steps d times smaller.
	DANNCorrection bool `yaml:"dann_correction"`
	// dale: I-Norm's full and decorrelate backward use the standardized
	// ẑ = (z - mean z)/s_z instead of the study's raw z (ei.Variant); full
	// then is the exact layer-norm Jacobian. Off in the study.
	ZHatBackward bool `yaml:"zhat_backward"`
	// Precision of the matrix products: "" or float32, or
	// float16_autocast, the authors' (PyTorch autocast on a GPU: fp16
	// inputs and results, fp32 accumulation; see tensor.Float16Autocast).
	// Empty is float32 and leaves the config's fingerprint as it was before
	// the option existed.
	Precision string `yaml:"precision,omitempty"`
	// dale: the product order of the DANN layers (every E-I hidden layer
	// and every output layer): "" or weights_first, the authors' (form
	// W = Wex - Wei Wix, then x W^T), or inputs_first (x Wex^T -
	// (x Wix^T) Wei^T, circuitry's until 2026-12-06, a named option: the
	// same in exact arithmetic, different under float16 autocast, where it
	// rounds two large activations instead of the small weight product).
	DANNOrder string `yaml:"dann_order,omitempty"`
}

// DANN orders, as model.dann_order names them.
const (
	WeightsFirst = "weights_first"
	InputsFirst  = "inputs_first"
)

// TrainConfig is the optimisation recipe.
type TrainConfig struct {
	Epochs         int     `yaml:"epochs"`          // passes over the training set
	BatchSize      int     `yaml:"batch_size"`      // images per step
	Optimizer      string  `yaml:"optimizer"`       // sgd | adam
	LR             float64 `yaml:"lr"`              // learning rate (dale: Wex and b)
	LRWix          float64 `yaml:"lr_wix"`          // dale: learning rate of Wix and Bix
	LRWei          float64 `yaml:"lr_wei"`          // dale: learning rate of Wei
	AlignEvery     int     `yaml:"align_every"`     // dale: measure the gradient cosine to exact layer norm every N steps (0 = never)
	LRSchedule     string  `yaml:"lr_schedule"`     // constant | cosine (to 0 over all steps)
	Momentum       float64 `yaml:"momentum"`        // SGD momentum in [0, 1)
	Nesterov       bool    `yaml:"nesterov"`        // Nesterov momentum (SGD)
	WeightDecay    float64 `yaml:"weight_decay"`    // L2 coefficient added to gradients
	LabelSmoothing float64 `yaml:"label_smoothing"` // in [0, 1)
	EvalBatch      int     `yaml:"eval_batch"`      // images per evaluation forward pass
	// Shuffle draws a new order of the training images every epoch (the
	// data-order stream); false takes them in file order every epoch, as
	// the authors' study-1 code does (only the luminosity draws change).
	Shuffle bool `yaml:"shuffle"`
	// CheckpointEvery writes a checkpoint every N training steps (0: only
	// at the end of each epoch and on interruption).
	CheckpointEvery int `yaml:"checkpoint_every"`
}

// DefaultConfig is the 784-500-500-10 ReLU MLP baseline.
func DefaultConfig() Config {
	return Config{
		Name: "mlp",
		Seed: 1,
		Data: DataConfig{Dataset: "fashion-mnist", Luminosity: 0.75, FixedTestShift: true},
		Model: ModelConfig{
			Kind: "mlp", Hidden: []int{500, 500}, Activation: "relu", Condition: "ei", Lambda: 0.01,
		},
		Train: TrainConfig{
			Epochs: 10, BatchSize: 32, Optimizer: "adam", LR: 1e-3, LRSchedule: "constant", LRWix: 1e-2, LRWei: 1e-3, AlignEvery: 10,
			LabelSmoothing: 0.1, EvalBatch: 1000, Shuffle: true,
		},
		Out: experiment.OutConfig{Dir: "runs"},
	}
}

// Validate checks every field and returns all problems, each naming its
// field and the allowed values.
func (c *Config) Validate() error {
	var p experiment.Problems
	bad := p.Add
	if c.Name == "" || strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		bad("name", fmt.Sprintf("%q", c.Name), "want a non-empty directory name without slashes")
	}
	if c.Data.Dataset != "fashion-mnist" {
		bad("data.dataset", fmt.Sprintf("%q", c.Data.Dataset), `want "fashion-mnist"`)
	}
	if !(c.Data.Luminosity >= 0 && c.Data.Luminosity <= 1) {
		bad("data.luminosity", c.Data.Luminosity, "want a shift bound in [0, 1]")
	}
	if c.Data.TrainLimit < 0 {
		bad("data.train_limit", c.Data.TrainLimit, "want >= 0 (0 = all images)")
	}
	if c.Model.Kind != "mlp" && c.Model.Kind != "dale" {
		bad("model.kind", fmt.Sprintf("%q", c.Model.Kind), `want "mlp" or "dale"`)
	}
	if c.Model.Kind == "dale" && c.Model.CenterInput {
		bad("model.center_input", true, "only for kind mlp (Dale's-law networks take non-negative inputs)")
	}
	c.validateModel(&p)
	c.validateTrain(&p)
	if c.Out.Dir == "" {
		bad("out.dir", `""`, "want a directory")
	}
	return p.Err()
}

// validateModel checks the model section (and the Dale-only learning rates).
func (c *Config) validateModel(p *experiment.Problems) {
	bad := p.Add
	if o := c.Model.DANNOrder; o != "" && o != WeightsFirst && o != InputsFirst {
		bad("model.dann_order", fmt.Sprintf("%q", o), `want "weights_first" (the authors') or "inputs_first"`)
	}
	if c.Model.Precision != "" {
		if _, err := tensor.ParsePrecision(c.Model.Precision); err != nil {
			bad("model.precision", fmt.Sprintf("%q", c.Model.Precision), `want "float32" or "float16_autocast"`)
		}
	}
	if c.Model.Kind == "dale" {
		if _, ok := ei.Conditions[c.Model.Condition]; !ok {
			bad("model.condition", fmt.Sprintf("%q", c.Model.Condition), fmt.Sprintf("want one of %v", ei.ConditionNames()))
		}
		if n := len(c.Model.Inhibitory); n > 0 && n != len(c.Model.Hidden) {
			bad("model.inhibitory", c.Model.Inhibitory, fmt.Sprintf("want one count per hidden layer (%d)", len(c.Model.Hidden)))
		}
		for i, ni := range c.Model.Inhibitory {
			if i < len(c.Model.Hidden) && (ni < 1 || ni > c.Model.Hidden[i]) {
				bad(fmt.Sprintf("model.inhibitory[%d]", i), ni, fmt.Sprintf("want 1 to the layer's %d excitatory units (ni <= ne)", c.Model.Hidden[i]))
			}
		}
		if cond := ei.Conditions[c.Model.Condition]; cond.Core == "inorm" {
			prev := 784
			for i, h := range c.Model.Hidden {
				if h > prev {
					bad(fmt.Sprintf("model.hidden[%d]", i), h, fmt.Sprintf("I-Norm's SVD initialisation needs each width <= its input width (%d)", prev))
				}
				prev = h
			}
		}
		if !(c.Model.Lambda >= 0) {
			bad("model.lambda", c.Model.Lambda, "want a local-loss weight >= 0")
		}
		if !(c.Train.LRWix >= 0 && c.Train.LRWix <= 10) {
			bad("train.lr_wix", c.Train.LRWix, "want a learning rate in [0, 10]")
		}
		if !(c.Train.LRWei >= 0 && c.Train.LRWei <= 10) {
			bad("train.lr_wei", c.Train.LRWei, "want a learning rate in [0, 10]")
		}
		if c.Train.AlignEvery < 0 {
			bad("train.align_every", c.Train.AlignEvery, "want >= 0 (0 = never)")
		}
	}
	if len(c.Model.Hidden) == 0 {
		bad("model.hidden", "[]", "want at least one hidden width")
	}
	params, prev := 0, 28*28 // the datasets' images
	for i, h := range c.Model.Hidden {
		if h < 1 || h > 1<<16 {
			bad(fmt.Sprintf("model.hidden[%d]", i), h, "want a width in [1, 65536]")
			continue
		}
		params += prev*h + h
		prev = h
	}
	if params += prev*10 + 10; params > experiment.MaxParams {
		bad("model.hidden", c.Model.Hidden, fmt.Sprintf("%d parameters; at most %d", params, experiment.MaxParams))
	}
	if c.Model.Activation != "relu" && c.Model.Activation != "tanh" {
		bad("model.activation", fmt.Sprintf("%q", c.Model.Activation), `want "relu" or "tanh"`)
	}
}

// validateTrain checks the train section.
func (c *Config) validateTrain(p *experiment.Problems) {
	bad := p.Add
	t := c.Train
	p.AtLeast("train.epochs", t.Epochs, 1)
	p.AtLeast("train.batch_size", t.BatchSize, 1)
	if t.CheckpointEvery < 0 {
		bad("train.checkpoint_every", t.CheckpointEvery, "want >= 0 steps (0 = at epoch ends)")
	}
	p.AtLeast("train.eval_batch", t.EvalBatch, 1)
	if t.Optimizer != "sgd" && t.Optimizer != "adam" {
		bad("train.optimizer", fmt.Sprintf("%q", t.Optimizer), `want "sgd" or "adam"`)
	}
	if !(t.LR > 0 && t.LR <= 10) {
		bad("train.lr", t.LR, "want a learning rate in (0, 10]")
	}
	if t.LRSchedule != "constant" && t.LRSchedule != "cosine" {
		bad("train.lr_schedule", fmt.Sprintf("%q", t.LRSchedule), `want "constant" or "cosine"`)
	}
	if !(t.Momentum >= 0 && t.Momentum < 1) {
		bad("train.momentum", t.Momentum, "want [0, 1)")
	}
	if t.Nesterov && t.Momentum == 0 {
		bad("train.nesterov", true, "needs train.momentum > 0")
	}
	if !(t.WeightDecay >= 0) {
		bad("train.weight_decay", t.WeightDecay, "want >= 0")
	}
	if !(t.LabelSmoothing >= 0 && t.LabelSmoothing < 1) {
		bad("train.label_smoothing", t.LabelSmoothing, "want [0, 1)")
	}
}

// LoadConfig reads a YAML config file over the defaults, applies key=value
// overrides and validates the result. Errors name the file, key or field.
func LoadConfig(path string, overrides []string) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = experiment.ReadConfigFile(path); err != nil {
			return Config{}, err
		}
	}
	cfg, err := ParseConfig(data, overrides)
	if err != nil && path != "" {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, err
}

// ParseConfig decodes YAML over DefaultConfig, rejecting unknown keys,
// applies overrides ("train.lr=0.01", values in YAML syntax) and validates.
func ParseConfig(data []byte, overrides []string) (Config, error) {
	return experiment.Decode(data, overrides, DefaultConfig())
}

// YAML returns the fully resolved config as YAML.
func (c Config) YAML() []byte { return experiment.ToYAML(c) }
