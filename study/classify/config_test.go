package classify

import (
	"strings"
	"testing"
)

func TestParseConfigOverrides(t *testing.T) {
	cfg, err := ParseConfig([]byte("name: x\ntrain:\n  epochs: 3\n"), []string{"train.lr=0.05", "model.hidden=[10, 20, 30]", "data.luminosity=0.25", "train.optimizer=sgd", "seed=9"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "x" || cfg.Train.Epochs != 3 || cfg.Train.LR != 0.05 || len(cfg.Model.Hidden) != 3 || cfg.Model.Hidden[2] != 30 ||
		cfg.Data.Luminosity != 0.25 || cfg.Train.Optimizer != "sgd" || cfg.Seed != 9 || cfg.Train.BatchSize != 32 {
		t.Fatalf("cfg = %+v", cfg)
	}
	// The resolved YAML parses back to the same config.
	again, err := ParseConfig(cfg.YAML(), nil)
	if err != nil || string(again.YAML()) != string(cfg.YAML()) {
		t.Fatalf("round trip: %v\n%s", err, again.YAML())
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		yaml string
		sets []string
		want string
	}{
		{"trian:\n  lr: 1\n", nil, `unknown key "trian" (line 1); known keys here: name, seed, data, model, train, out`},
		{"model:\n  hiden: [1]\n", nil, `unknown key "model.hiden" (line 2)`},
		{"train: 3\n", nil, "train (line 1): want a mapping"},
		{"- 1\n", nil, "config must be a mapping"},
		{"train:\n  lr: [1\n", nil, "invalid YAML"},
		{"train:\n  epochs: many\n", nil, `train.epochs = "many" (line 2): want a whole number`},
		{"", []string{"train.lr"}, `--set "train.lr": want key=value`},
		{"", []string{"train=1"}, `"train" is a section`},
		{"", []string{"seed.x=1"}, `"seed" is not a section`},
		{"", []string{"model.hidden=5"}, "want a list of whole numbers"},
		{"", []string{"train.lr=-0.1"}, "train.lr = -0.1: want a learning rate in (0, 10]"},
		{"", []string{"train.lr=0"}, "train.lr = 0"},
		{"", []string{"data.luminosity=1.5"}, "data.luminosity = 1.5: want a shift bound in [0, 1]"},
		{"", []string{"model.hidden=[]"}, "model.hidden = []"},
		{"", []string{"model.hidden=[10, 0]"}, "model.hidden[1] = 0"},
		{"", []string{"model.activation=gelu"}, `model.activation = "gelu"`},
		{"", []string{"train.optimizer=lbfgs"}, `train.optimizer = "lbfgs"`},
		{"", []string{"train.momentum=1"}, "train.momentum = 1: want [0, 1)"},
		{"", []string{"train.nesterov=true"}, "train.nesterov = true: needs train.momentum > 0"},
		{"", []string{"train.batch_size=0"}, "train.batch_size = 0"},
		{"", []string{"train.label_smoothing=1"}, "train.label_smoothing = 1"},
		{"", []string{"train.lr_schedule=step"}, `train.lr_schedule = "step"`},
		{"", []string{"name=a/b"}, "name ="},
		{"", []string{"data.train_limit=-1"}, "data.train_limit = -1"},
		{"", []string{"model.kind=dale", "model.condition=ei", "model.center_input=true"}, "model.center_input = true: only for kind mlp"},
		{"", []string{"model.kind=dale", "model.condition=ei", "model.precision=half"}, `model.precision = "half": want "float32" or "float16_autocast"`},
		{"", []string{"model.kind=dale", "model.condition=ei", "model.dann_order=w_first"}, `model.dann_order = "w_first": want "weights_first" (the authors') or "inputs_first"`},
		// Nothing is coerced: counts are whole numbers in range, empty values
		// and non-finite floats are errors, and one file holds one config.
		{"", []string{"train.epochs=1.5"}, "want a whole number"},
		{"train:\n  epochs: 1.5\n", nil, `train.epochs = "1.5" (line 2): want a whole number`},
		{"seed: 18446744073709551616\n", nil, `seed = "18446744073709551616" (line 1): want a whole number in [0, 2^64)`},
		{"", []string{"train.lr="}, `train.lr = "": want a value (number); it is empty`},
		{"train:\n  weight_decay: .inf\n", nil, "train.weight_decay = \".inf\" (line 2): want a finite number"},
		{"", []string{"train.lr=.nan"}, "want a finite number"},
		{"name: a\n---\nname: b\n", nil, "more than one YAML document (a second starts at line"},
		{"model:\n  hidden: [500, 1.5]\n", nil, "model.hidden[1]"},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.yaml), c.sets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("yaml %q sets %v: err = %v, want %q", c.yaml, c.sets, err, c.want)
		}
	}
}

// A dale run recorded before the DANN layers formed W = Wex - Wei Wix
// first trained with inputs_first: its record is reusable under that
// option and never as the default (the authors' order), whichever way the
// default is spelled.
func TestDANNOrderChangesTheRunIdentity(t *testing.T) {
	fp := func(version int, sets ...string) string {
		cfg, err := ParseConfig(nil, append([]string{"model.kind=dale", "model.condition=ei"}, sets...))
		if err != nil {
			t.Fatal(err)
		}
		spec := Spec(cfg)
		if version >= 0 { // as a record of an older circuitry holds it
			spec.Version, spec.Neutral = version, []string{"name", "out.dir", "data.dir"}
		}
		f, err := spec.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	def, authors, ours, old := fp(-1), fp(-1, "model.dann_order=weights_first"), fp(-1, "model.dann_order=inputs_first"), fp(0)
	if def != authors {
		t.Error("the default and weights_first are the same network but fingerprint differently")
	}
	if ours != old {
		t.Error("inputs_first does not match a record of the order it reproduces")
	}
	if def == old {
		t.Error("a record of the old order has the new order's fingerprint")
	}
	mlp, _ := ParseConfig(nil, nil)
	if Spec(mlp).Version != 0 {
		t.Fatal("the product order changed the identity of MLP runs")
	}
}
