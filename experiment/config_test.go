package experiment

import (
	"math"
	"testing"

	"github.com/circuitry-lab/circuitry/nn"
)

func TestStreamsAreIndependentAndReproducible(t *testing.T) {
	a1, a2, b := Stream(1, "init"), Stream(1, "init"), Stream(1, "data-order")
	c := Stream(2, "init")
	same, diffB, diffC := 0, 0, 0
	for range 100 {
		x := a1.Uint64()
		if x == a2.Uint64() {
			same++
		}
		if x != b.Uint64() {
			diffB++
		}
		if x != c.Uint64() {
			diffC++
		}
	}
	if same != 100 || diffB != 100 || diffC != 100 {
		t.Fatalf("same %d, differ by name %d, by seed %d", same, diffB, diffC)
	}
	// Uniformity: the mean of many draws is 1/2 within 4 standard errors.
	r := Stream(7, "noise")
	var s float64
	const n = 100000
	for range n {
		s += r.Float64()
	}
	if m := s / n; m < 0.5-4*0.2887/316 || m > 0.5+4*0.2887/316 {
		t.Fatalf("mean %v", m)
	}
}

func TestSetLR(t *testing.T) {
	cases := []struct {
		schedule    string
		step, total int
		want        float64
	}{
		{"cosine", 0, 100, 0.2},
		{"cosine", 50, 100, 0.1},
		{"cosine", 100, 100, 0},
		{"constant", 50, 100, 0.2},
		{"", 99, 100, 0.2},
	}
	for _, c := range cases {
		opt := nn.NewAdam(nn.Group{Name: "all", LR: 0.2})
		SetLR(opt, []float64{0.2}, c.schedule, c.step, c.total)
		if got := opt.ParamGroups()[0].LR; math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%q step %d/%d: lr %v, want %v", c.schedule, c.step, c.total, got, c.want)
		}
	}
}

// fuzzConfig has every kind of field a config has.
type fuzzConfig struct {
	Name  string   `yaml:"name"`
	Seed  uint64   `yaml:"seed"`
	Seeds []uint64 `yaml:"seeds"`
	Train struct {
		Epochs int       `yaml:"epochs"`
		LR     float64   `yaml:"lr"`
		Hidden []int     `yaml:"hidden"`
		Eps    []float64 `yaml:"eps"`
		On     bool      `yaml:"on"`
	} `yaml:"train"`
}

// Config decoding, with --set overrides, never panics, and whatever it
// accepts is finite and whole where it must be.
func FuzzDecodeStrict(f *testing.F) {
	f.Add("name: a\nseed: 3\ntrain: {epochs: 2, lr: 0.1, hidden: [4, 5]}\n", "train.lr=0.5")
	f.Add("seeds: [1, 2]\n---\nname: b\n", "train.hidden=[1, 2]")
	f.Add("train:\n  epochs: 1.5\n", "seed=18446744073709551616")
	f.Add("a: &x [1, *x]\n", "train.eps=[.inf]")
	f.Fuzz(func(t *testing.T, doc, set string) {
		var c fuzzConfig
		if err := DecodeStrict([]byte(doc), []string{set}, &c); err != nil {
			return
		}
		if math.IsNaN(c.Train.LR) || math.IsInf(c.Train.LR, 0) {
			t.Fatalf("non-finite lr accepted: %v", c.Train.LR)
		}
		for _, e := range c.Train.Eps {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				t.Fatalf("non-finite eps accepted: %v", e)
			}
		}
	})
}
