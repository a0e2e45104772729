package inhibitory

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/circuitry-lab/circuitry/internal/browser"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/runtest"
	"github.com/circuitry-lab/circuitry/study/classify"
)

func TestInhibitoryStudyConfigErrors(t *testing.T) {
	cases := []struct {
		sets []string
		want string
	}{
		{[]string{"conditions=[ei, inorm_ful]"}, `conditions[1] = "inorm_ful": want one of [e_ln ei ei_ln`},
		{[]string{"conditions=[]"}, "conditions = []"},
		{[]string{"conditions=[ei, ei]"}, "listed twice"},
		{[]string{"lambda=-0.1"}, "lambda = -0.1: want a local-loss weight >= 0"},
		{[]string{"eps=[0, 1.5]"}, "eps[1] = 1.5"},
		{[]string{"hparams=[30]"}, "hparams[0] = 30: want an index in [0, 30)"},
		{[]string{"replicates=0"}, "replicates = 0"},
		{[]string{"workers=-1"}, "workers = -1"},
		{[]string{"study=offline"}, `study = "offline"`},
		{[]string{"epoch=3"}, `unknown key "epoch"`},
		{[]string{"precision=fp16"}, `precision = "fp16": want "float32" or "float16_autocast"`},
	}
	for _, c := range cases {
		_, err := Parse([]byte("study: inhibitory-normalization\n"), c.sets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.sets, err, c.want)
		}
	}
	// Single-run configs name the Dale's-law fields too.
	for _, c := range []struct {
		sets []string
		want string
	}{
		{[]string{"model.kind=dale", "model.condition=inorm_max"}, `model.condition = "inorm_max"`},
		{[]string{"model.kind=dale", "model.hidden=[100]", "model.inhibitory=[101]"}, "model.inhibitory[0] = 101: want 1 to the layer's 100 excitatory units (ni <= ne)"},
		{[]string{"model.kind=dale", "model.hidden=[100, 100]", "model.inhibitory=[10]"}, "model.inhibitory = [10]: want one count per hidden layer (2)"},
		{[]string{"model.kind=dale", "model.lambda=-1"}, "model.lambda = -1: want a local-loss weight >= 0"},
		{[]string{"model.kind=dale", "model.condition=inorm_full", "model.hidden=[100, 200]"}, "model.hidden[1] = 200: I-Norm's SVD initialisation needs each width <= its input width (100)"},
		{[]string{"model.kind=dale", "train.lr_wix=-1"}, "train.lr_wix = -1"},
	} {
		_, err := classify.ParseConfig(nil, c.sets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.sets, err, c.want)
		}
	}
}

// presetPoints parses the study's preset f and expands its points.
func presetPoints(t *testing.T, f string) []Point {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "configs", "inhibitory-normalization", f))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data, nil)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return pts
}

func TestPresetsParse(t *testing.T) {
	for _, f := range []string{"quick.yaml", "medium.yaml", "paper.yaml"} {
		pts := presetPoints(t, f)
		if f == "paper.yaml" && len(pts) != 30*4*13 {
			t.Fatalf("paper: %d points", len(pts))
		}
	}
}

func TestInhibitoryStudyEndToEnd(t *testing.T) {
	out := t.TempDir()
	spec := "study: inhibitory-normalization\nname: tiny\nconditions: [ei, e_ln, inorm, inorm_full]\neps: [0, 0.75]\nhparams: [1, 11]\nepochs: 2\ntrain_limit: 2000\nworkers: 2\n"
	s, err := Parse([]byte(spec), []string{"out.dir=" + out})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmp, err := Run(context.Background(), s, experiment.Env{DataDir: "embedded", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "tiny")
	for _, f := range []string{"comparison.md", "report.html", "comparison.json", "results.csv", "study.yaml", "figures/accuracy_vs_eps.png",
		"figures/accuracy_vs_eps.svg", "figures/paired_inorm_full_vs_e_ln_eps0.75.png", "figures/gap_to_e_ln_eps0.75.png", "figures/curves_eps0.75.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	browser.CheckPage(t, filepath.Join(dir, "report.html"), "study-inhibitory-report", 3, "E-only LN+")
	var decoded map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "comparison.json"))
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatalf("comparison.json: %v", err)
	}
	if len(cmp.Rows) != 4 || cmp.Rows[0].Cells[0].Acc.N != 2 {
		t.Fatalf("rows %+v", cmp.Rows)
	}
	for _, r := range cmp.Rows {
		for _, c := range r.Cells {
			floor := 40.0 // normalised networks learn fast even on 2,000 images
			if r.Condition == "ei" {
				floor = 15
			}
			if c.AtChance > 0 || c.Acc.Min < floor {
				t.Errorf("%s eps %.2f: %+v", r.Condition, c.Eps, c.Acc)
			}
			// The study's check 1 and 4: I-Norm layers stay normalised.
			if r.Condition == "inorm_full" && (c.MaxAbsZMean > 0.05 || c.MaxAbsZVarMinus1 > 0.1 || float64(c.ExactLNCosine) < 0.99) {
				t.Errorf("inorm_full eps %.2f: max |mean| %.3g, max |var-1| %.3g, cosine %.3f", c.Eps, c.MaxAbsZMean, c.MaxAbsZVarMinus1, c.ExactLNCosine)
			}
			// The study's last-step alignment is recorded for every Dale run;
			// GradNorm's gradient is nearly exact LN's on a normalised layer.
			if g := float64(c.GradientAlignment); !(g > -1 && g <= 1) || (r.Condition == "inorm_full" && g < 0.9) {
				t.Errorf("%s eps %.2f: gradient alignment %v", r.Condition, c.Eps, g)
			}
		}
	}
	// Verdicts: one row per check, every row a well-formed table row.
	vs := Verdicts(cmp)
	table := experiment.VerdictTable("checks", vs)
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[2:] {
		if strings.Count(line, "|") != 6 {
			t.Errorf("malformed verdict row: %s", line)
		}
	}
	if vs[0].Result != "pass" || len(vs) < 6 {
		t.Errorf("verdicts %+v", vs)
	}
	// A second run resumes: every point is already finished.
	log.Reset()
	if _, err := Run(context.Background(), s, experiment.Env{DataDir: "embedded", Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "16 finished earlier") {
		t.Fatalf("resume log: %s", log.String())
	}
	// A point interrupted after its last checkpoint continues from it and
	// ends with the same numbers.
	point := filepath.Join(dir, "runs", "inorm_full_eps0.75_hp11_r0")
	before, _ := os.ReadFile(filepath.Join(point, "weights.safetensors"))
	os.Remove(filepath.Join(point, "summary.json"))
	runtest.SetRecord(t, point, "finished", false)
	log.Reset()
	if _, err := Run(context.Background(), s, experiment.Env{DataDir: "embedded", Log: &log}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(point, "weights.safetensors"))
	if !strings.Contains(log.String(), "15 finished earlier") || !bytes.Equal(before, after) {
		t.Fatalf("interrupted point: log %s, weights equal %v", log.String(), bytes.Equal(before, after))
	}
}

func TestInhibitoryStudyRefusesChangedPoints(t *testing.T) {
	out := t.TempDir()
	spec := "study: inhibitory-normalization\nname: tiny\nconditions: [ei]\neps: [0.5, 0.501]\nhparams: [0]\nepochs: 1\ntrain_limit: 500\nworkers: 1\n"
	s, err := Parse([]byte(spec), []string{"out.dir=" + out})
	if err != nil {
		t.Fatal(err)
	}
	pts, _ := s.Points()
	if pts[0].Config.Name == pts[1].Config.Name {
		t.Fatalf("eps 0.5 and 0.501 share %s", pts[0].Config.Name)
	}
	if _, err := Run(context.Background(), s, experiment.Env{DataDir: "embedded", Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	before := runtest.Snapshot(t, s.Dir())
	changed, _ := Parse([]byte(spec), []string{"out.dir=" + out, "batch_size=64", "label_smoothing=0"})
	_, err = Run(context.Background(), changed, experiment.Env{DataDir: "embedded", Log: io.Discard})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "train.batch_size=32, train.label_smoothing=0.1, the config now says train.batch_size=64") ||
		!strings.Contains(err.Error(), "(and 1 more points like it)") {
		t.Fatalf("changed study: %v", err)
	}
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, s.Dir()))
	// A finished point recorded on other data is refused, not reused: the
	// study's points finished earlier are compared with the data loaded.
	point := filepath.Join(s.Dir(), "runs", pts[1].Config.Name)
	runtest.SetRecord(t, point, "data_identity", "sha256:other")
	if _, err := Run(context.Background(), s, experiment.Env{DataDir: "embedded", Log: io.Discard}); err == nil ||
		!strings.Contains(err.Error(), point+": trained on sha256:other, the data now is embedded subset") {
		t.Fatalf("point on other data: %v", err)
	}
	for _, bad := range []string{"eps=[0.5, 0.5]", "hparams=[1, 1]", "conditions=[ei, ei]"} {
		if _, err := Parse([]byte(spec), []string{bad}); err == nil || !strings.Contains(err.Error(), "listed twice") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// The study's presets train the authors' protocol: seed 0 for every
// configuration, file order, a fresh test shift per evaluation, plain
// projected SGD, raw-z error normalisation; each deviation is an option.
func TestPresetsAreTheAuthorsProtocol(t *testing.T) {
	for _, f := range []string{"demo.yaml", "quick.yaml", "medium.yaml", "paper.yaml"} {
		for _, p := range presetPoints(t, f) {
			c := p.Config
			if c.Model.Precision != "float16_autocast" || c.Seed != 0 || c.Train.Shuffle || c.Data.FixedTestShift || c.Model.DANNCorrection || c.Model.ZHatBackward ||
				c.Train.Optimizer != "sgd" || c.Train.Momentum != 0 || c.Train.WeightDecay != 0 || c.Train.BatchSize != 32 || c.Train.LabelSmoothing != 0.1 {
				t.Fatalf("%s: %s deviates from the authors' protocol: %+v %+v %+v", f, c.Name, c.Data, c.Model, c.Train)
			}
		}
	}
	s, _ := Parse([]byte("study: inhibitory-normalization\nhparams: [3]\nconditions: [inorm_full]\neps: [0.5]\n"),
		[]string{"dann_correction=true", "zhat_backward=true", "shuffle=true", "fixed_test_shift=true", "seed_per_config=true"})
	pts, _ := s.Points()
	c := pts[0].Config
	if c.Seed != 3000 || !c.Train.Shuffle || !c.Data.FixedTestShift || !c.Model.DANNCorrection || !c.Model.ZHatBackward {
		t.Fatalf("options not applied: seed %d %+v %+v %+v", c.Seed, c.Data, c.Model, c.Train)
	}
}
