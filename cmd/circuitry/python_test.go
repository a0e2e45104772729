package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/npy"
	"github.com/circuitry-lab/circuitry/internal/pyfind"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/study/classify"
	"github.com/circuitry-lab/circuitry/study/reactivation"
	"github.com/circuitry-lab/circuitry/tensor"
)

// torchPython is a Python with torch, numpy and yaml (pyfind), or the
// test is skipped.
func torchPython(t *testing.T) string {
	t.Helper()
	py, err := pyfind.Find("torch", "numpy", "yaml")
	if err != nil {
		t.Skip(err)
	}
	return py
}

type pyCase struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Dir  string `json:"dir"`
	X    string `json:"x"`
	C0   string `json:"c0,omitempty"`
	Y    string `json:"y"`
}

func writeNpy(t *testing.T, path string, data any, shape ...int) string {
	t.Helper()
	b, err := npy.Bytes(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomMat(rng *rand.Rand, r, c int) *tensor.Mat {
	m := tensor.New(r, c)
	for i := range m.Data {
		m.Data[i] = float32(rng.Float64())
	}
	return m
}

// The Python package (python/circuitry) loads every kind of run and
// builds a PyTorch module whose outputs match circuitry's on the same
// inputs to 1e-5: the MLP, the study-1 network of every condition, and
// study 2's CT-RNN, GRU and Dale CT-RNNs (plain, layer- and divisively
// normalised).
func TestPythonLoaderMatchesCircuitry(t *testing.T) {
	skipInShort(t)
	py := torchPython(t)
	work := t.TempDir()
	rng := rand.New(rand.NewPCG(8, 9))
	var cases []pyCase
	classifier := func(name string, sets ...string) {
		cfg := filepath.Join(work, name+".yaml")
		os.WriteFile(cfg, []byte("name: "+name+"\ndata: {train_limit: 300}\ntrain: {epochs: 1, batch_size: 30}\n"), 0o644)
		if _, stderr, code := runCLI(t, work, append([]string{"train", cfg, "--data", "embedded"}, sets...)...); code != 0 {
			t.Fatalf("%s: %s", name, stderr)
		}
		dir := filepath.Join(work, "runs", name)
		m, err := classify.LoadModel(dir)
		if err != nil {
			t.Fatal(err)
		}
		x := randomMat(rng, 6, 784)
		y := m.Forward(x)
		cases = append(cases, pyCase{Name: name, Kind: "classifier", Dir: dir,
			X: writeNpy(t, filepath.Join(work, name+"_x.npy"), x.Data, 6, 784), Y: writeNpy(t, filepath.Join(work, name+"_y.npy"), y.Data, y.Rows, y.Cols)})
	}
	classifier("plain_mlp", "--set", "model.hidden=[32, 16]", "--set", "model.layer_norm=true", "--set", "model.center_input=true")
	for _, cond := range ei.ConditionNames() {
		classifier(cond, "--set", "model.kind=dale", "--set", "model.condition="+cond, "--set", "model.hidden=[24, 12]",
			"--set", "train.optimizer=sgd", "--set", "train.lr=0.01", "--set", "train.lr_wix=0.1", "--set", "train.lr_wei=0.001")
	}
	spec := filepath.Join(work, "rnn.yaml")
	os.WriteFile(spec, []byte("study: offline-reactivation\nname: rnn\nseeds: [0]\nconditions: [noisy, gru_noisy, dale_noisy, dale_norm_noisy, dale_divnorm_noisy]\nnetwork: {n_rec: 16, cells: 24, norm_gain: 0.7}\n"+
		"train: {steps: 10, batch: 8, seq_len: 10, log_every: 5}\n"+
		"quiescence: {steps: 20, batch: 5, step_steps: 10, var_steps: 20, var_discard: 10, var_batch: 5, drift_states: 20, kl_samples: 50, pca_batch: 5, pca_steps: 5}\n"), 0o644)
	if _, stderr, code := runCLI(t, work, "run", spec, "--out", filepath.Join(work, "runs")); code != 0 {
		t.Fatalf("rnn study: %s", stderr)
	}
	for _, cond := range []string{"noisy", "gru_noisy", "dale_noisy", "dale_norm_noisy", "dale_divnorm_noisy"} {
		dir := filepath.Join(work, "runs", "rnn", "runs", cond+"_s0")
		net, err := reactivation.LoadNetwork(dir)
		if err != nil {
			t.Fatal(err)
		}
		switch n := net.(type) { // compare without noise
		case *rnn.CTRNN:
			n.Cfg.SigmaRec = 0
		case *rnn.GRU:
			n.Cfg.SigmaRec = 0
		}
		const steps, b = 7, 3
		x, c0 := randomMat(rng, steps*b, 2), randomMat(rng, b, 24)
		for i := range x.Data {
			x.Data[i] = (x.Data[i] - 0.5) / 20 // displacements of a few cm
		}
		y := net.Forward(x, c0, experiment.Stream(0, "unused"))
		cases = append(cases, pyCase{Name: cond, Kind: "reactivation", Dir: dir,
			X:  writeNpy(t, filepath.Join(work, cond+"_x.npy"), x.Data, steps, b, 2),
			C0: writeNpy(t, filepath.Join(work, cond+"_c0.npy"), c0.Data, b, 24),
			Y:  writeNpy(t, filepath.Join(work, cond+"_y.npy"), y.Data, steps, b, 24)})
	}
	b, _ := json.Marshal(cases)
	list := filepath.Join(work, "cases.json")
	os.WriteFile(list, b, 0o644)
	out, err := exec.Command(py, filepath.Join("..", "..", "python", "tests", "check_equivalence.py"), list).CombinedOutput()
	if err != nil || strings.Count(string(out), "ok  ") != len(cases) {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("\n%s", out)
}

// Damaged and hostile run directories raise circuitry.RunError naming the
// file, from every loader of the Python package: invalid YAML/JSON, a
// symlink to /dev/zero, a FIFO, broken metrics, cut or forged weights
// (overlapping tensor ranges, another dtype), a damaged array, a config
// forging 100,000-unit layers (refused before allocating) and a config
// without a model (python/tests/check_damaged.py); then 250 seeded random
// damages (python/tests/fuzz_readers.py).
func TestPythonLoaderRefusesDamage(t *testing.T) {
	skipInShort(t)
	py := torchPython(t)
	work := t.TempDir()
	cfg := filepath.Join(work, "d.yaml")
	os.WriteFile(cfg, []byte("name: d\ndata: {train_limit: 300}\ntrain: {epochs: 1, batch_size: 30, optimizer: sgd, lr: 0.01, lr_wix: 0.1, lr_wei: 0.001}\n"+
		"model: {kind: dale, condition: ei_ln, hidden: [24, 12]}\n"), 0o644)
	if _, stderr, code := runCLI(t, work, "train", cfg, "--data", "embedded"); code != 0 {
		t.Fatal(stderr)
	}
	out, err := exec.Command(py, filepath.Join("..", "..", "python", "tests", "check_damaged.py"), filepath.Join(work, "runs", "d")).CombinedOutput()
	if err != nil || strings.Contains(string(out), "FAIL") || strings.Count(string(out), "ok  ") != 14 {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("\n%s", out)
	// Seeded mutation fuzzing of the same readers (python/tests/fuzz_readers.py):
	// every damaged copy loads or raises RunError, within a 2 GiB allocation cap.
	out, err = exec.Command(py, filepath.Join("..", "..", "python", "tests", "fuzz_readers.py"), filepath.Join(work, "runs", "d"), "250", "1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), " 0 findings") {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}
