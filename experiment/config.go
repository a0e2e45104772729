package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/circuitry-lab/circuitry/ei"
)

// Config is a classifier training run. Every field has a default (see
// DefaultConfig) and a range checked by Validate.
type Config struct {
	Name  string      `yaml:"name"`  // run directory name under out.dir
	Seed  uint64      `yaml:"seed"`  // root of every random stream
	Data  DataConfig  `yaml:"data"`  // where the images come from and how they are shifted
	Model ModelConfig `yaml:"model"` // network shape
	Train TrainConfig `yaml:"train"` // optimisation
	Out   OutConfig   `yaml:"out"`   // where results go
}

// DataConfig selects and transforms the dataset.
type DataConfig struct {
	Dataset    string  `yaml:"dataset"`     // fashion-mnist
	Dir        string  `yaml:"dir"`         // empty: discover (--data, $CIRCUITRY_DATA, Debian, cache, embedded)
	Luminosity float64 `yaml:"luminosity"`  // eps: per-image additive shift U(-eps, eps), train and test, in [0, 1]
	TrainLimit int     `yaml:"train_limit"` // use only the first N training images; 0 = all
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
	// by d before each step (Cornford et al. 2021's corrected SGD).
	DANNCorrection bool `yaml:"dann_correction"`
}

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
	// CheckpointEvery writes a checkpoint every N training steps (0: only
	// at the end of each epoch and on interruption).
	CheckpointEvery int `yaml:"checkpoint_every"`
}

// OutConfig says where run directories go.
type OutConfig struct {
	Dir string `yaml:"dir"` // parent of run directories
}

// DefaultConfig is the 784-500-500-10 ReLU MLP baseline.
func DefaultConfig() Config {
	return Config{
		Name: "mlp",
		Seed: 1,
		Data: DataConfig{Dataset: "fashion-mnist", Luminosity: 0.75},
		Model: ModelConfig{
			Kind: "mlp", Hidden: []int{500, 500}, Activation: "relu", Condition: "ei", Lambda: 0.01, DANNCorrection: true,
		},
		Train: TrainConfig{
			Epochs: 10, BatchSize: 32, Optimizer: "adam", LR: 1e-3, LRSchedule: "constant", LRWix: 1e-2, LRWei: 1e-3, AlignEvery: 10,
			LabelSmoothing: 0.1, EvalBatch: 1000,
		},
		Out: OutConfig{Dir: "runs"},
	}
}

// Validate checks every field and returns all problems, each naming its
// field and the allowed values.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("%s = %v: %s", field, v, want))
	}
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
	for i, h := range c.Model.Hidden {
		if h < 1 || h > 1<<16 {
			bad(fmt.Sprintf("model.hidden[%d]", i), h, "want a width in [1, 65536]")
		}
	}
	if c.Model.Activation != "relu" && c.Model.Activation != "tanh" {
		bad("model.activation", fmt.Sprintf("%q", c.Model.Activation), `want "relu" or "tanh"`)
	}
	t := c.Train
	if t.Epochs < 1 {
		bad("train.epochs", t.Epochs, "want >= 1")
	}
	if t.BatchSize < 1 {
		bad("train.batch_size", t.BatchSize, "want >= 1")
	}
	if t.CheckpointEvery < 0 {
		bad("train.checkpoint_every", t.CheckpointEvery, "want >= 0 steps (0 = at epoch ends)")
	}
	if t.EvalBatch < 1 {
		bad("train.eval_batch", t.EvalBatch, "want >= 1")
	}
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
	if c.Out.Dir == "" {
		bad("out.dir", `""`, "want a directory")
	}
	return errors.Join(errs...)
}

// LoadConfig reads a YAML config file over the defaults, applies key=value
// overrides and validates the result. Errors name the file, key or field.
func LoadConfig(path string, overrides []string) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
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
	cfg := DefaultConfig()
	if err := decodeStrict(data, overrides, &cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// decodeStrict decodes YAML into dst (a pointer to a struct holding the
// defaults), rejecting unknown keys with their dotted path, then applies
// key=value overrides checked against the field types.
func decodeStrict(data []byte, overrides []string, dst any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if doc.Kind == 0 { // empty file
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config must be a mapping of keys to values")
	}
	typ := reflect.TypeOf(dst).Elem()
	if err := checkKeys(root, typ, ""); err != nil {
		return err
	}
	for _, o := range overrides {
		if err := applyOverride(root, typ, o); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(root); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// yamlField finds the struct field of t whose yaml tag is key.
func yamlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if strings.Split(f.Tag.Get("yaml"), ",")[0] == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func knownKeys(t reflect.Type) string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		ks = append(ks, strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
	}
	return strings.Join(ks, ", ")
}

// checkKeys walks a mapping node against a struct type, so an unknown key
// is reported with its full dotted path and the keys allowed there.
func checkKeys(n *yaml.Node, t reflect.Type, prefix string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s (line %d): want a mapping with keys %s", strings.TrimSuffix(prefix, "."), n.Line, knownKeys(t))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := yamlField(t, k.Value)
		if !ok {
			return fmt.Errorf("unknown key %q (line %d); known keys here: %s", prefix+k.Value, k.Line, knownKeys(t))
		}
		if f.Type.Kind() == reflect.Struct {
			if err := checkKeys(v, f.Type, prefix+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyOverride sets one dotted key in the YAML tree, checking the key
// exists and the value decodes into the field's type.
func applyOverride(root *yaml.Node, t reflect.Type, o string) error {
	key, val, ok := strings.Cut(o, "=")
	if !ok || key == "" {
		return fmt.Errorf("--set %q: want key=value, e.g. train.lr=0.01", o)
	}
	parts := strings.Split(key, ".")
	node := root
	for i, p := range parts {
		f, ok := yamlField(t, p)
		if !ok {
			return fmt.Errorf("--set %s: unknown key %q; known keys here: %s", key, strings.Join(parts[:i+1], "."), knownKeys(t))
		}
		last := i == len(parts)-1
		if !last && f.Type.Kind() != reflect.Struct {
			return fmt.Errorf("--set %s: %q is not a section", key, strings.Join(parts[:i+1], "."))
		}
		if last {
			if f.Type.Kind() == reflect.Struct {
				return fmt.Errorf("--set %s: %q is a section; set one of its keys: %s", key, key, knownKeys(f.Type))
			}
			var v yaml.Node
			if err := yaml.Unmarshal([]byte(val), &v); err != nil {
				return fmt.Errorf("--set %s: invalid value %q: %w", key, val, err)
			}
			vn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
			if len(v.Content) > 0 {
				vn = v.Content[0]
			}
			probe := reflect.New(f.Type)
			if err := vn.Decode(probe.Interface()); err != nil {
				return fmt.Errorf("--set %s=%s: want a %s", key, val, typeName(f.Type))
			}
			setChild(node, p, vn)
			return nil
		}
		child := getChild(node, p)
		if child == nil {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			setChild(node, p, child)
		}
		node, t = child, f.Type
	}
	return nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s, e.g. [500, 500]"
	}
	return t.Kind().String()
}

func getChild(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setChild(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// YAML returns the fully resolved config as YAML.
func (c Config) YAML() []byte { return toYAML(c) }

func toYAML(v any) []byte {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return b
}

// StudyOf returns the value of a config file's top-level "study" key, or
// "" for a single-run config.
func StudyOf(data []byte) string {
	var head struct {
		Study string `yaml:"study"`
	}
	_ = yaml.Unmarshal(data, &head) // a broken file is reported by the real decoder
	return head.Study
}
