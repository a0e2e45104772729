package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/browser"
	"github.com/circuitry-lab/circuitry/internal/pyfind"
	"github.com/circuitry-lab/circuitry/internal/tfevents"
)

// TestMain lets tests run the real binary: re-executed with
// CIRCUITRY_TEST_MAIN=1, the test binary behaves as circuitry itself, so
// exit codes and stderr are checked exactly as a user sees them.
func TestMain(m *testing.M) {
	if os.Getenv("CIRCUITRY_TEST_MAIN") == "1" {
		os.Args = append([]string{"circuitry"}, os.Args[1:]...)
		os.Exit(run(testStudies()))
	}
	os.Exit(m.Run())
}

func runCLI(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CIRCUITRY_TEST_MAIN=1", "CIRCUITRY_DATA=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func idx(dims []int, data []byte, gzipped bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	if !gzipped {
		return b.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	return z.Bytes()
}

// dataDir writes a tiny valid Fashion-MNIST-shaped directory, then lets
// corrupt replace one file's bytes.
func dataDir(t *testing.T, corrupt func(files map[string][]byte)) string {
	dir := t.TempDir()
	files := map[string][]byte{
		"train-images-idx3-ubyte.gz": idx([]int{20, 28, 28}, make([]byte, 20*784), true),
		"train-labels-idx1-ubyte.gz": idx([]int{20}, bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 2), true),
		"t10k-images-idx3-ubyte.gz":  idx([]int{10, 28, 28}, make([]byte, 10*784), true),
		"t10k-labels-idx1-ubyte.gz":  idx([]int{10}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true),
	}
	if corrupt != nil {
		corrupt(files)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBadInputErrors(t *testing.T) {
	work := t.TempDir()
	cfgPath := func(body string) string {
		p := filepath.Join(work, "cfg.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := []struct {
		name string
		args func() []string
		want string
	}{
		{"missing data dir", func() []string { return []string{"data", "info", "--data", filepath.Join(work, "absent")} },
			"absent: data directory does not exist"},
		{"truncated IDX", func() []string {
			return []string{"data", "info", "--data", dataDir(t, func(f map[string][]byte) {
				f["t10k-images-idx3-ubyte.gz"] = idx([]int{10, 28, 28}, make([]byte, 10*784-5), false)
			})}
		}, "t10k-images-idx3-ubyte.gz: truncated"},
		{"wrong magic", func() []string {
			return []string{"data", "info", "--data", dataDir(t, func(f map[string][]byte) {
				f["train-labels-idx1-ubyte.gz"] = []byte{0x50, 0x4b, 3, 4, 0, 0, 0, 0}
			})}
		}, "train-labels-idx1-ubyte.gz: wrong magic number"},
		{"count mismatch", func() []string {
			return []string{"data", "info", "--data", dataDir(t, func(f map[string][]byte) {
				f["t10k-labels-idx1-ubyte.gz"] = idx([]int{9}, make([]byte, 9), true)
			})}
		}, "t10k-images-idx3-ubyte.gz has 10 images but t10k-labels-idx1-ubyte.gz has 9 labels"},
		{"unknown config key", func() []string { return []string{"train", cfgPath("train:\n  epochs: 2\n  learning_rate: 0.1\n")} },
			`unknown key "train.learning_rate" (line 3)`},
		{"negative lr in file", func() []string { return []string{"train", cfgPath("train:\n  lr: -0.1\n")} },
			"train.lr = -0.1: want a learning rate in (0, 10]"},
		{"negative lr override", func() []string { return []string{"demo", "--set", "train.lr=-1"} },
			"train.lr = -1: want a learning rate in (0, 10]"},
		{"unknown override", func() []string { return []string{"demo", "--set", "train.lrate=1"} },
			`--set train.lrate: unknown key "train.lrate"`},
		{"mistyped override", func() []string { return []string{"demo", "--set", "train.epochs=ten"} },
			"--set train.epochs=ten: want a whole number"},
		{"missing config", func() []string { return []string{"train", filepath.Join(work, "none.yaml")} },
			"none.yaml: no such file"},
		{"unknown condition", func() []string {
			return []string{"run", cfgPath("study: inhibitory-normalization\nconditions: [ei, inorm_gradnorm]\n")}
		}, `conditions[1] = "inorm_gradnorm": want one of`},
		{"negative lambda", func() []string { return []string{"run", cfgPath("study: inhibitory-normalization\nlambda: -0.01\n")} },
			"lambda = -0.01: want a local-loss weight >= 0"},
		{"ni > ne", func() []string {
			return []string{"train", cfgPath("model:\n  kind: dale\n  hidden: [50]\n  inhibitory: [60]\n")}
		}, "model.inhibitory[0] = 60: want 1 to the layer's 50 excitatory units (ni <= ne)"},
		{"unknown study", func() []string { return []string{"run", cfgPath("study: sleep\n")} }, `unknown study "sleep": want one of inhibitory-normalization, offline-reactivation`},
		{"analyze unfinished run", func() []string { return []string{"analyze", work} }, "not a finished run (no summary.json)"},
		{"dt > tau", func() []string {
			return []string{"run", cfgPath("study: offline-reactivation\nnetwork: {dt: 0.2, tau: 0.1}\n")}
		}, "network.tau = 0.1: want a time constant >= network.dt (0.2)"},
		{"negative sigma2", func() []string {
			return []string{"run", cfgPath("study: offline-reactivation\nnetwork: {sigma2_rec: -0.01}\n")}
		}, "network.sigma2_rec = -0.01: want a noise variance >= 0"},
		{"bench rounds", func() []string { return []string{"bench", "--rounds", "0"} }, "--rounds 0: want at least 1"},
		{"bench seconds", func() []string { return []string{"bench", "--seconds", "-1"} }, "--seconds -1: want a positive duration"},
		{"n_in mismatch", func() []string {
			return []string{"run", cfgPath("study: offline-reactivation\ntask: headdir\nnetwork: {n_in: 2}\n")}
		}, "network.n_in = 2: the headdir task provides 1 input(s)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, work, c.args()...)
			if code == 0 {
				t.Fatalf("exit code 0, stderr %q", stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "circuitry: ") || !strings.Contains(lines[0], c.want) {
				t.Fatalf("stderr = %q, want one line containing %q", stderr, c.want)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Fatalf("stack trace: %s", stderr)
			}
		})
	}
}

func TestTrainTinyEndToEnd(t *testing.T) {
	work := t.TempDir()
	cfg := filepath.Join(work, "tiny.yaml")
	os.WriteFile(cfg, []byte("name: tiny\ndata:\n  train_limit: 2000\nmodel:\n  hidden: [64]\ntrain:\n  epochs: 2\n  batch_size: 50\n  lr: 0.003\n"), 0o644)
	stdout, stderr, code := runCLI(t, work, "train", cfg, "--out", "runs")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "test accuracy after 2 epochs") {
		t.Fatalf("stdout = %q", stdout)
	}
	run := filepath.Join(work, "runs", "tiny")
	for _, f := range []string{"config.yaml", "metrics.jsonl", "summary.json", "report.html", "figures/curves.svg", "weights.safetensors"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Fatal(err)
		}
	}
	browser.CheckPage(t, filepath.Join(run, "report.html"), "run-report", 1, "tiny", "hidden:")
	// TensorBoard: the config's keys as hparams, a scalar event per epoch
	// (epoch seconds under one tag, wall time their running sum), then the
	// figures as images.
	tb, err := os.ReadFile(filepath.Join(run, "tensorboard", "events.out.tfevents.0.circuitry"))
	if err != nil {
		t.Fatal(err)
	}
	events, err := tfevents.Read(tb)
	if err != nil || len(events) != 5 || events[2].Step != 1 || events[3].Step != 2 || !(events[3].Scalars["test_acc"] > 0.5) {
		t.Fatalf("tensorboard: %v, %+v", err, events)
	}
	if hp := events[1].HParams; hp["name"] != "tiny" || hp["train.epochs"] != 2.0 {
		t.Errorf("tensorboard hparams: %v", hp)
	}
	e1, e2 := events[2].Scalars["time/epoch_seconds"], events[3].Scalars["time/epoch_seconds"]
	if _, old := events[3].Scalars["seconds"]; old || !(e2 > 0) || math.Abs(events[3].Wall-(e1+e2)) > 1e-6 {
		t.Errorf("tensorboard time: epoch seconds %g, %g, wall %g", e1, e2, events[3].Wall)
	}
	if im := events[4].Images["figures/curves"]; im.Width < 500 || len(im.PNG) < 1000 {
		t.Fatalf("tensorboard image figures/curves: %dx%d, %d bytes", im.Width, im.Height, len(im.PNG))
	}
	var sum struct {
		FinalTestAcc float64 `json:"final_test_acc"`
		TrainImages  int     `json:"train_images"`
	}
	b, _ := os.ReadFile(filepath.Join(run, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum.TrainImages != 2000 || sum.FinalTestAcc < 0.55 {
		t.Fatalf("summary %s (%v)", b, err)
	}
	// Python reads the arrays and weights: metrics.npy's last test accuracy
	// is the summary's, and every weight tensor has the model's shape.
	if py, err := pyfind.Find("numpy"); err == nil {
		script := `
import json, struct, sys, numpy as np
run = sys.argv[1]
m = np.load(run + "/arrays/metrics.npy")
s = json.load(open(run + "/summary.json"))
assert m.shape == (2, 5) and m.dtype == np.float64, m.shape
assert abs(m[-1, 4] - s["final_test_acc"]) < 1e-12, (m[-1], s["final_test_acc"])
raw = open(run + "/weights.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
e = h["fc1.weight"]; a, z = e["data_offsets"]
w = np.frombuffer(raw[8 + n + a:8 + n + z], dtype="<f4").reshape(e["shape"])
assert w.shape == (64, 784) and np.isfinite(w).all(), w.shape
print("ok")
`
		out, err := exec.Command(py, "-c", script, run).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") {
			t.Fatalf("python: %v\n%s", err, out)
		}
	}
	// The same config again is reused; another one is refused with the
	// keys that differ, and the run is left as it was.
	if _, stderr, code := runCLI(t, work, "train", cfg, "--out", "runs"); code != 0 || !strings.Contains(stderr, "finished earlier with the same config; reusing it") {
		t.Fatalf("same config: exit %d %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, work, "train", cfg, "--out", "runs", "--set", "train.lr=0.01"); code == 0 ||
		!strings.Contains(stderr, "finished with train.lr=0.003, the config now says train.lr=0.01 — use --force") {
		t.Fatalf("other config: exit %d %q", code, stderr)
	}
}

// A second demo must not delete the studies' runs: the MLP's forced run
// directory is OUT/demo/mlp, not OUT/demo itself.
func TestDemoKeepsStudyRuns(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "runs")
	keep := filepath.Join(out, "demo", "offline-reactivation-spatial-demo", "runs", "noisy_s0", "summary.json")
	if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		stdout, stderr, code := runCLI(t, work, "demo", "--mlp", "--data", dataDir(t, nil), "--out", out, "--set", "train.epochs=1", "--set", "train.batch_size=10")
		if code != 0 {
			t.Fatalf("demo --mlp: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if want := filepath.Join(out, "demo", "mlp"); !strings.Contains(stdout, "results in "+want) {
			t.Fatalf("demo --mlp: want results in %s, got\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("the studies' runs were deleted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "demo", "mlp", "summary.json")); err != nil {
		t.Fatal(err)
	}
}
