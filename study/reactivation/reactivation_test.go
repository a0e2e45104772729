package reactivation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/circuitry-lab/circuitry/internal/browser"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/npy"
	"github.com/circuitry-lab/circuitry/internal/runtest"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/tensor"
)

func TestReactivationConfigErrors(t *testing.T) {
	cases := []struct {
		sets []string
		want string
	}{
		{[]string{"network.sigma2_rec=-1e-4"}, "network.sigma2_rec = -0.0001: want a noise variance >= 0"},
		{[]string{"network.dt=0.2", "network.tau=0.1"}, "network.tau = 0.1: want a time constant >= network.dt (0.2)"},
		{[]string{"network.n_in=3"}, "network.n_in = 3: the spatial task provides 2 input(s)"},
		{[]string{"task=headdir", "network.n_in=2"}, "network.n_in = 2: the headdir task provides 1 input(s)"},
		{[]string{"conditions=[noisy, sleepy]"}, `conditions[1] = "sleepy"`},
		{[]string{"task=grid"}, `task = "grid"`},
		{[]string{"network.noise=pink"}, `network.noise = "pink"`},
		{[]string{"quiescence.noise=pink"}, `quiescence.noise = "pink": want "" (the training noise, network.noise), "gaussian" or "uniform"`},
		{[]string{"quiescence.density_figure=contour"}, `quiescence.density_figure = "contour": want "kde" (the default) or "histogram"`},
		{[]string{"quiescence.pca_batch=1"}, "want pca_batch, pca_steps >= 2"},
		{[]string{"network.n_rec=100000"}, "want n_rec and cells <= 16384"},
		{[]string{"network.n_rec=8000", "network.cells=8000"}, "parameters; at most 50000000"},
		{[]string{"workers=5000"}, "workers = 5000: want 0 (one per core) to 1024"},
		{[]string{"train.batch=100000", "train.seq_len=10000"}, "activations kept for the backward pass"},
		{[]string{"quiescence.var_discard=5000"}, "quiescence.var_discard = 5000"},
		{[]string{"seeds=[]"}, "seeds = []"},
		{[]string{"network.inhibitory_fraction=1"}, "network.inhibitory_fraction = 1"},
		{[]string{"conditions=[dale]"}, "dale_norm_noisy"},
		{[]string{"train.lr_schedule=step"}, `train.lr_schedule = "step": want "constant" or "cosine"`},
	}
	for _, c := range cases {
		_, err := Parse([]byte("study: offline-reactivation\n"), c.sets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.sets, err, c.want)
		}
	}
	presets, _ := filepath.Glob(filepath.Join("..", "..", "configs", "offline-reactivation", "*.yaml"))
	if len(presets) < 6 {
		t.Fatalf("found %d presets: %v", len(presets), presets)
	}
	for _, f := range presets {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(data, nil); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestReactivationStudyTiny(t *testing.T) {
	out := t.TempDir()
	spec := `study: offline-reactivation
name: tiny
seeds: [0]
conditions: [noisy, nonoise_biased, gru_noisy, dale_norm_noisy]
network: {n_rec: 32, cells: 64}
train: {steps: 30, batch: 16, seq_len: 20, log_every: 10, lr: 0.003}
quiescence: {steps: 60, batch: 20, step_steps: 20, var_steps: 60, var_discard: 20, var_batch: 10, drift_states: 100, kl_samples: 300}
`
	for _, task := range []string{"spatial", "headdir"} {
		s, err := Parse([]byte(spec), []string{"out.dir=" + out, "task=" + task, "name=tiny-" + task})
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		rep, err := Run(context.Background(), s, experiment.Env{Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		dir := s.Dir()
		for _, f := range []string{"report.md", "report.html", "report.json", "figures/kl_bars.png", "figures/pca.svg",
			"runs/noisy_s0/summary.json", "runs/noisy_s0/metrics.jsonl", "runs/noisy_s0/arrays/quiescent_decoded.npy", "runs/noisy_s0/arrays/W_rec.npy", "runs/noisy_s0/arrays/hidden_quiescent.npy", "runs/noisy_s0/weights.safetensors", "runs/noisy_s0/report.html"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
		browser.CheckPage(t, filepath.Join(dir, "report.html"), "study-reactivation-report-"+task, 3, "KL")
		r := rep.Row("noisy")
		if r == nil || r.KL.N != 1 || !(float64(r.KLUniform.Mean) > 0) || !(float64(r.UntrainedErr.Mean) > 0) || r.KLNoiseAdded.N != 0 {
			t.Fatalf("%s: row %+v", task, r)
		}
		// The network trained without noise sleeps without it, and again
		// with noise added at sleep.
		nb := rep.first("nonoise_biased")
		if nb.SleepNoiseSD != 0 || nb.NoiseAddedSD != math.Sqrt(s.Sleep.Noise2Sleep) || !(float64(nb.KLNoiseAdded) >= 0) || !(float64(nb.StepNoiseAdded) > 0) {
			t.Fatalf("%s: nonoise_biased sleep noise %g, added %g, KL %g, step %g", task, nb.SleepNoiseSD, nb.NoiseAddedSD, nb.KLNoiseAdded, nb.StepNoiseAdded)
		}
		if _, err := os.Stat(filepath.Join(dir, "runs/nonoise_biased_s0/arrays/quiescent_noise_added_decoded.npy")); err != nil {
			t.Error(err)
		}
		// A second run reuses the finished networks...
		log.Reset()
		reused, err := Run(context.Background(), s, experiment.Env{Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), fmt.Sprintf("%d points, %d finished earlier, 0 to run", len(s.Conditions), len(s.Conditions))) {
			t.Fatalf("resume: %s", log.String())
		}
		// ...with the true waking path its trajectory figure draws.
		if w, want := reused.first("noisy").wakeTrue, rep.first("noisy").wakeTrue; len(want) == 0 || !slices.Equal(w, want) {
			t.Fatalf("reused true path: %d values, trained %d", len(w), len(want))
		}
		// ...unless a summary comes from an older analysis version: then
		// the analyses are repeated with the saved weights, to the bit.
		sumPath := filepath.Join(dir, "runs/nonoise_biased_s0/summary.json")
		old, err := os.ReadFile(sumPath)
		if err != nil {
			t.Fatal(err)
		}
		stale := strings.Replace(string(old), fmt.Sprintf(`"analysis_version": %d`, AnalysisVersion), `"analysis_version": 1`, 1)
		stale = strings.Replace(stale, `"kl_quiescent_waking": `, `"kl_quiescent_waking": 99`, 1)
		if err := os.WriteFile(sumPath, []byte(stale), 0o644); err != nil {
			t.Fatal(err)
		}
		runtest.SetRecord(t, filepath.Dir(sumPath), "analysis_version", 1)
		log.Reset()
		again, err := Run(context.Background(), s, experiment.Env{Log: &log})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "nonoise_biased_s0: finished earlier with analysis version 1 or other quiescence settings; repeating") {
			t.Fatalf("stale summary: %s", log.String())
		}
		if got := again.first("nonoise_biased"); got.KL != nb.KL || got.AnalysisVersion != AnalysisVersion {
			t.Fatalf("re-analysis: KL %v version %d, want %v version %d", got.KL, got.AnalysisVersion, nb.KL, AnalysisVersion)
		}
		if again.KL == nil || len(again.KL.Waking) != len(s.Conditions) {
			t.Fatalf("KL matrix %+v", again.KL)
		}
		// Other quiescence settings re-analyse every finished network with
		// its saved weights (no refusal, no retraining); a sleep noise other
		// than the training noise is allowed only named, and the report
		// says so.
		mismatch, err := Parse([]byte(spec), []string{"out.dir=" + out, "task=" + task, "name=tiny-" + task, "quiescence.noise=gaussian"})
		if err != nil {
			t.Fatal(err)
		}
		log.Reset()
		if _, err := Run(context.Background(), mismatch, experiment.Env{Log: &log}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(log.String(), "repeating the analyses"); n != len(s.Conditions) || strings.Contains(log.String(), "trained") {
			t.Fatalf("%d re-analyses for %d networks:\n%s", n, len(s.Conditions), log.String())
		}
		md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
		if !strings.Contains(string(md), "uniform in training, gaussian in quiescence (a deliberate mismatch, quiescence.noise)") {
			t.Fatalf("report does not name the mismatch:\n%.400s", md)
		}
		for _, f := range []string{"figures/kl_matrix.png", "runs/noisy_s0/arrays/untrained_quiescent_decoded.npy"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestQuiesceDriftSample: the drift sample is driftN hidden states taken
// from the second half of the quiescent run, all rows of each snapshot.
func TestQuiesceDriftSample(t *testing.T) {
	s, err := Parse([]byte("study: offline-reactivation\nnetwork: {n_rec: 16, cells: 32}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	task := s.NewTask(false, 0)
	net, err := s.newNet("noisy", task, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := task.Sample(experiment.Stream(0, "test"), 5, nil)
	c0 := tensor.FromSlice(b.B, task.NCells(), b.Init)
	const steps, driftN = 40, 12 // snapshots at steps 20, 26, 32 (5 + 5 + 2 rows)
	got := quiesce(task, net, c0, steps, 0.01, "gaussian", experiment.Stream(0, "sleep"), 0, driftN, func(int) {})
	if len(got.states) != driftN*16 || len(got.pos) != steps*5*2 {
		t.Fatalf("%d drift values, %d positions", len(got.states), len(got.pos))
	}
	want := map[int]int{20: 0, 26: 5, 32: 10}
	rnn.NewQuiescence(net, 5).Run(c0, steps, 0.01, "gaussian", experiment.Stream(0, "sleep"), func(st int, h, _ *tensor.Mat) {
		off, ok := want[st]
		if !ok {
			return
		}
		n := min(5, driftN-off)
		for i, v := range h.Data[:n*16] {
			if got.states[off*16+i] != v {
				t.Fatalf("step %d: drift state value %d differs", st, i)
			}
		}
	})
}

// TestReproduceReactivationTiny runs `reproduce offline-reactivation` on
// tiny networks: both tasks of both experiments (uniform and Gaussian
// noise), the authors' experiment's separate GRU study, the re-analyses,
// and a verdict for every check of the authors' experiment (none left
// n/a) in its own table.
func TestReproduceReactivationTiny(t *testing.T) {
	skipInShort(t)
	opts := experiment.ReproduceOptions{
		Scale: "quick", OutDir: t.TempDir(), Progress: experiment.Quiet{}, Log: io.Discard,
		Overrides: []string{"seeds=[0]", "network.n_rec=24", "network.cells=48",
			"train.steps=20", "train.batch=8", "train.seq_len=20", "train.log_every=10",
			"quiescence.steps=40", "quiescence.batch=10", "quiescence.step_steps=20", "quiescence.var_steps=40",
			"quiescence.var_discard=20", "quiescence.var_batch=10", "quiescence.drift_states=50", "quiescence.kl_samples=200",
			"quiescence.pca_batch=30", "quiescence.pca_steps=10"},
	}
	presets := tinyQuickPresets(t)
	// --finished-only before anything trained: nothing runs, every study
	// is named as not run and its checks are n/a.
	judged := opts
	judged.FinishedOnly = true
	early, err := experiment.Reproduce(context.Background(), Kind(), presets, judged)
	if err != nil {
		t.Fatal(err)
	}
	if len(early.Dirs) != 0 || strings.Count(early.Verdicts, "has not finished training") != 4 || strings.Contains(early.Verdicts, "| PASS |") {
		t.Fatalf("finished-only before training:\n%s", early.Verdicts)
	}
	rep, err := experiment.Reproduce(context.Background(), Kind(), presets, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Skipping the Gaussian experiment (the demo) judges the authors' alone.
	skip := opts
	skip.Skip = func(name string) bool { return strings.Contains(name, "-gaussian-") }
	// The skipped studies are named as not part of this run, not as unfinished.
	if part, err := experiment.Reproduce(context.Background(), Kind(), presets, skip); err != nil || len(part.Dirs) != 3 ||
		!strings.Contains(part.Verdicts, "Not part of this run (their checks n/a): ") || strings.Contains(part.Verdicts, "Not finished") ||
		strings.Count(part.Verdicts, "-gaussian-quick") < 2 {
		t.Fatalf("skip the Gaussian experiment (%v): %+v", err, part)
	}
	// Skipping the first study (the uniform spatial one) writes each
	// other study's verdicts with its own report (a panic once: the
	// reports were looked up by the position among the studies run).
	first := opts
	first.Skip = func(name string) bool { return strings.HasSuffix(name, "-spatial-quick") }
	if part, err := experiment.Reproduce(context.Background(), Kind(), presets, first); err != nil || len(part.Dirs) != 4 ||
		!strings.HasSuffix(part.Dirs[0], "headdir-quick") {
		t.Fatalf("skip the first study (%v): %+v", err, part)
	}
	if b, err := os.ReadFile(filepath.Join(opts.OutDir, "offline-reactivation-headdir-quick", "report.html")); err != nil ||
		!strings.Contains(string(b), "headdir-quick: offline reactivation") || strings.Contains(string(b), "gru-quick: offline reactivation") {
		t.Fatalf("head-direction report.html after skipping the spatial study does not hold its own report (%v)", err)
	}
	// Afterwards it judges exactly what the full reproduction judged.
	if late, err := experiment.Reproduce(context.Background(), Kind(), presets, judged); err != nil || late.Verdicts != rep.Verdicts {
		t.Fatalf("finished-only after training differs (%v):\n%s\nvs\n%s", err, late.Verdicts, rep.Verdicts)
	}
	if len(rep.Dirs) != 5 || !strings.HasSuffix(rep.Dirs[2], "spatial-gru-quick") || !strings.HasSuffix(rep.Dirs[3], "spatial-gaussian-quick") {
		t.Fatalf("study directories %v", rep.Dirs)
	}
	uniform, gaussian, ok := strings.Cut(rep.Verdicts, "Gaussian noise: the theory's experiment")
	if !ok || !strings.Contains(uniform, "Uniform [0, 1) noise") {
		t.Fatalf("want a table per experiment, uniform first:\n%s", rep.Verdicts)
	}
	for _, check := range []string{"| 6 |", "| 8 |"} {
		if !strings.Contains(uniform, check) || !strings.Contains(gaussian, check) {
			t.Errorf("no verdict row %q in both tables of\n%s", check, rep.Verdicts)
		}
	}
	if !strings.Contains(uniform, "Reactivation persists with GRUs (gru_noisy)") {
		t.Errorf("check 6 did not judge the separate GRU study:\n%s", uniform)
	}
	if strings.Contains(uniform, "| N/A |") {
		t.Errorf("a check of the authors' experiment was left n/a:\n%s", uniform)
	}
	if _, err := os.Stat(filepath.Join(rep.Dirs[0], "verdicts.md")); err != nil {
		t.Error(err)
	}
	// Checks 6 (noise x1) and 8 (zero-mean sleep) read the networks'
	// analyses: the verdicts run no re-analysis, and the noisy network's
	// summary holds both measurements.
	if _, err := os.Stat(filepath.Join(rep.Dirs[0], "runs", "noisy_s0", "analyses")); !os.IsNotExist(err) {
		t.Errorf("the verdicts wrote re-analyses (%v)", err)
	}
	b, _ := os.ReadFile(filepath.Join(rep.Dirs[0], "runs", "noisy_s0", "summary.json"))
	var sum map[string]any
	json.Unmarshal(b, &sum)
	if _, ok := sum["kl_quiescent_waking_noise_x1"].(float64); !ok {
		t.Errorf("no noise-x1 KL in the noisy network's summary: %v", sum["kl_quiescent_waking_noise_x1"])
	}
	if _, ok := sum["anchor_dist_quiescent_zero_mean_noise"].(float64); !ok {
		t.Errorf("no zero-mean sleep in the uniform-trained noisy network's summary: %v", sum["anchor_dist_quiescent_zero_mean_noise"])
	}
}

func TestReactivationPointIntegrity(t *testing.T) {
	out := t.TempDir()
	spec := `study: offline-reactivation
name: tiny
seeds: [0]
conditions: [noisy]
network: {n_rec: 16, cells: 32}
train: {steps: 20, batch: 8, seq_len: 10, log_every: 10, checkpoint_every: 10}
quiescence: {steps: 30, batch: 10, step_steps: 10, var_steps: 30, var_discard: 10, var_batch: 5, drift_states: 50, kl_samples: 100}
`
	s, err := Parse([]byte(spec), []string{"out.dir=" + out})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	point := s.pointDir("noisy", 0)
	before := runtest.Snapshot(t, s.Dir())
	wider, _ := Parse([]byte(spec), []string{"out.dir=" + out, "network.n_rec=64"})
	if _, err := Run(context.Background(), wider, experiment.Env{Log: io.Discard}); err == nil ||
		!strings.Contains(err.Error(), point+": finished with network.n_rec=16, the config now says network.n_rec=64") {
		t.Fatalf("wider network: %v", err)
	}
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, s.Dir())) // the refusal wrote nothing
	// More seeds add points; the finished one is still reused.
	if _, err := Parse([]byte(spec), []string{"seeds=[0, 0]"}); err == nil || !strings.Contains(err.Error(), "seeds[1] = 0: listed twice") {
		t.Fatalf("duplicate seeds: %v", err)
	}
	// A results bundle (the run without arrays/, figures or checkpoints:
	// what results/ keeps) is re-analysed from its weights, to the same
	// summary; one array missing from an arrays/ that exists is damage.
	sumBefore, _ := os.ReadFile(filepath.Join(point, "summary.json"))
	for _, d := range []string{"arrays", "figures", "checkpoints", "analyses"} {
		os.RemoveAll(filepath.Join(point, d))
	}
	var logBuf bytes.Buffer
	if _, err := Run(context.Background(), s, experiment.Env{Log: &logBuf}); err != nil || !strings.Contains(logBuf.String(), "its analysis arrays were not kept") {
		t.Fatalf("results bundle: %v\n%s", err, logBuf.String())
	}
	if sumAfter, _ := os.ReadFile(filepath.Join(point, "summary.json")); !bytes.Equal(sumBefore, sumAfter) {
		t.Fatalf("re-analysing a results bundle changed its summary:\n%s\nvs\n%s", sumBefore, sumAfter)
	}
	delta := filepath.Join(point, "arrays", "drift_delta.npy")
	deltaGood, _ := os.ReadFile(delta)
	os.Remove(delta)
	missing := runtest.Snapshot(t, s.Dir())
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err == nil || !strings.Contains(err.Error(), "drift_delta.npy: finished run with a damaged array") {
		t.Fatalf("one array missing: %v", err)
	}
	runtest.SameSnapshot(t, missing, runtest.Snapshot(t, s.Dir()))
	if err := os.WriteFile(delta, deltaGood, 0o644); err != nil {
		t.Fatal(err)
	}
	before = runtest.Snapshot(t, s.Dir())
	// A damaged array of a finished run is an error naming it, not a retrain.
	arr := filepath.Join(point, "arrays", "waking_decoded.npy")
	good, _ := os.ReadFile(arr)
	os.WriteFile(arr, good[:20], 0o644)
	damaged := runtest.Snapshot(t, s.Dir())
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err == nil || !strings.Contains(err.Error(), arr+": finished run with a damaged array") {
		t.Fatalf("damaged array: %v", err)
	}
	runtest.SameSnapshot(t, damaged, runtest.Snapshot(t, s.Dir()))
	// Well-formed arrays of the wrong shape: a 1-D waking_decoded.npy, and a
	// quiescent_decoded.npy whose positions have three coordinates.
	oneD, _ := npy.Bytes(make([]float64, 6), 6)
	os.WriteFile(arr, oneD, 0o644)
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err == nil || !strings.Contains(err.Error(), "shape [6], want 3 dimensions") {
		t.Fatalf("1-D waking array: %v", err)
	}
	os.WriteFile(arr, good, 0o644)
	qarr := filepath.Join(point, "arrays", "quiescent_decoded.npy")
	qgood, _ := os.ReadFile(qarr)
	threeCoords, _ := npy.Bytes(make([]float64, 2*2*3), 2, 2, 3)
	os.WriteFile(qarr, threeCoords, 0o644)
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err == nil || !strings.Contains(err.Error(), "last dimension 3, waking_decoded.npy's is 2") {
		t.Fatalf("quiescent array of another dimension: %v", err)
	}
	os.WriteFile(qarr, qgood, 0o644)
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, s.Dir()))
	// weights.safetensors is read back and checked against the weights an
	// analysis uses: a flipped value or a cut file is an error naming it.
	wpath := filepath.Join(point, "weights.safetensors")
	wgood, _ := os.ReadFile(wpath)
	flipped := append([]byte(nil), wgood...)
	flipped[len(flipped)-3] ^= 0x40
	for _, c := range []struct {
		data []byte
		want string
	}{{flipped, "differs from " + wpath}, {wgood[:len(wgood)-4], wpath + ": safetensors"}} {
		os.WriteFile(wpath, c.data, 0o644)
		if _, err := AnalyzeRun(point, "check", nil, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("damaged weights: %v, want %q", err, c.want)
		}
	}
	os.WriteFile(wpath, wgood, 0o644)
	// Reusing the finished study verifies the same: a damaged weight array
	// or weights file is an error naming it, not a silent reuse.
	warr := filepath.Join(point, "arrays", "W_rec.npy")
	wrec, _ := os.ReadFile(warr)
	bad := append([]byte(nil), wrec...)
	bad[len(bad)-2] ^= 0x20
	os.WriteFile(warr, bad, 0o644)
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err == nil || !strings.Contains(err.Error(), "W_rec.npy differs from") {
		t.Errorf("reuse with a damaged W_rec.npy: %v", err)
	}
	os.WriteFile(warr, wrec, 0o644)
	os.WriteFile(wpath, wgood[:len(wgood)-4], 0o644)
	if _, err := Run(context.Background(), s, experiment.Env{Log: io.Discard}); err == nil || !strings.Contains(err.Error(), wpath) {
		t.Errorf("reuse with a cut weights.safetensors: %v", err)
	}
	os.WriteFile(wpath, wgood, 0o644)
	os.RemoveAll(filepath.Join(point, "analyses"))
	// analyze never writes through a symlink it did not create.
	elsewhere := t.TempDir()
	os.Symlink(elsewhere, filepath.Join(point, "analyses"))
	if _, err := AnalyzeRun(point, "x", nil, io.Discard); err == nil || !strings.Contains(err.Error(), "refusing to write through it") {
		t.Errorf("analyses symlinked elsewhere: %v", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("analyze wrote %d entries through the symlink", len(entries))
	}
	os.Remove(filepath.Join(point, "analyses"))
	// resume with a checkpoint of another config refuses and deletes nothing.
	runtest.SetRecord(t, point, "finished", false)
	if _, err := Run(context.Background(), wider, experiment.Env{Force: true, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	foreign, _ := os.ReadFile(filepath.Join(point, checkpointPath))
	if _, err := Run(context.Background(), s, experiment.Env{Force: true, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	runtest.SetRecord(t, point, "finished", false)
	os.WriteFile(filepath.Join(point, checkpointPath), foreign, 0o644)
	os.WriteFile(filepath.Join(point, "mine.txt"), []byte("keep"), 0o644)
	if _, err := ResumePoint(context.Background(), point, experiment.Quiet{}, io.Discard); err == nil || !strings.Contains(err.Error(), "written by a different config") {
		t.Fatalf("foreign checkpoint: %v", err)
	}
	if _, err := os.Stat(filepath.Join(point, "mine.txt")); err != nil {
		t.Fatal("a refused resume deleted a file of the user's")
	}
}

// The untrained control is a fresh vanilla RNN of the network's shape,
// whatever the condition's architecture, not the network's own initial
// weights; the uniform control is also given as the authors' code
// computes it (ln box more, spatial task only).
func TestUntrainedControlAndUniformAsCoded(t *testing.T) {
	s := Default()
	s.Network.NRec, s.Network.Cells = 16, 32
	task := s.NewTask(false, 0)
	u, err := s.newUntrained(task, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := u.(*rnn.CTRNN); !ok {
		t.Fatalf("untrained control is a %T", u)
	}
	for _, cond := range []string{"noisy", "gru_noisy"} {
		net, _ := s.newNet(cond, task, 0, 0)
		if fmt.Sprint(net.Params()[0].Value.Data[:4]) == fmt.Sprint(u.Params()[0].Value.Data[:4]) {
			t.Errorf("%s: the untrained control starts from the network's own weights", cond)
		}
	}
	if cfg := u.Config(); cfg.SigmaRec != math.Sqrt(s.Network.Sigma2Rec) {
		t.Fatalf("untrained noise sd %g", cfg.SigmaRec)
	}
	r := &Result{}
	o := &offline{s: s, q: s.Sleep, task: task, r: r, d: 2}
	r.wake, r.quiet = []float64{0, 0, 0.1, 0, 0, 0.2, -0.3, 0.1}, []float64{0, 0.1, 0.2, 0, 0, 0.3, -0.2, 0.1}
	r.untrainedQuiet = []float64{1, 1, -1, 0.5, 0.2, 0.9, 0.7, -0.8}
	if err := o.densities(); err != nil {
		t.Fatal(err)
	}
	if d := float64(r.KLUniformAsCoded - r.KLUniform); math.Abs(d-math.Log(2.2)) > 1e-12 {
		t.Fatalf("as coded - correct = %g, want ln 2.2", d)
	}
}

// A network whose loss stops being finite is an error naming the step,
// not analyses of NaN states.
func TestReactivationDivergenceIsAnError(t *testing.T) {
	s := Default()
	s.Out.Dir, s.Name, s.Seeds, s.Conditions = t.TempDir(), "div", []uint64{0}, []string{"noisy"}
	s.Network.NRec, s.Network.Cells = 8, 16
	s.Train = RNNTrainConfig{Steps: 5, Batch: 4, SeqLen: 5, LR: 1e-3, LogEvery: 1}
	task := s.NewTask(false, 0)
	net, _ := s.newNet("noisy", task, 0, 1)
	net.Params()[0].Value.Data[0] = float32(math.Inf(1))
	run, _, err := experiment.Claim(s.pointDir("noisy", 0), s.pointSpec("noisy", 0), checkpointPath, false)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	tr, _ := newTrainer(s, "noisy", 0, run, 1)
	tr.net = net
	tr.opt = nn.NewAdam(nn.Group{Name: "all", Params: net.Params(), LR: s.Train.LR})
	err = tr.train(context.Background(), experiment.Quiet{}, &Result{})
	if err == nil || !strings.Contains(err.Error(), "training loss is not finite at step 1") {
		t.Fatalf("err = %v", err)
	}
}

// cancelOn cancels a context when a log line containing its text is
// written (a network's "trained N steps" summary: its analyses are next).
type cancelOn struct {
	text   string
	cancel context.CancelFunc
}

func (c cancelOn) Write(b []byte) (int, error) {
	if strings.Contains(string(b), c.text) {
		c.cancel()
	}
	return len(b), nil
}

// Interrupted during the offline analyses, a network resumes from its
// end-of-training checkpoint: no step is retrained, and the results are
// those of an uninterrupted run.
func TestInterruptedAnalysesDoNotRetrain(t *testing.T) {
	spec := "study: offline-reactivation\nname: ia\nseeds: [0]\nconditions: [noisy]\nnetwork: {n_rec: 16, cells: 32}\n" +
		"train: {steps: 20, batch: 8, seq_len: 10, log_every: 10}\n" +
		"quiescence: {steps: 30, batch: 10, step_steps: 10, var_steps: 30, var_discard: 10, var_batch: 5, drift_states: 50, kl_samples: 100, pca_batch: 10, pca_steps: 5}\n"
	whole, _ := Parse([]byte(spec), []string{"out.dir=" + t.TempDir()})
	want, err := Run(context.Background(), whole, experiment.Env{Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Parse([]byte(spec), []string{"out.dir=" + t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Run(ctx, s, experiment.Env{Log: cancelOn{text: "trained 20 steps", cancel: cancel}}); err == nil ||
		!strings.Contains(err.Error(), "interrupted during the offline analyses") {
		t.Fatalf("interrupted analyses: %v", err)
	}
	var log bytes.Buffer
	got, err := Run(context.Background(), s, experiment.Env{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "resuming from step 21") {
		t.Fatalf("did not resume after training:\n%s", log.String())
	}
	a, b := want.first("noisy"), got.first("noisy")
	if a.KL != b.KL || a.FinalLoss != b.FinalLoss || a.Variance != b.Variance {
		t.Fatalf("resumed analyses differ: KL %v vs %v, loss %v vs %v", a.KL, b.KL, a.FinalLoss, b.FinalLoss)
	}
}

// A finished network kept as its weights file alone (config, record,
// summary, metrics and weights.safetensors: what results/ bundles hold)
// is re-analysed from it to the same numbers, its arrays rewritten.
func TestBundleWithoutArraysReanalyses(t *testing.T) {
	spec := "study: offline-reactivation\nname: bundle\nseeds: [0]\nconditions: [noisy]\nnetwork: {n_rec: 16, cells: 32}\n" +
		"train: {steps: 10, batch: 8, seq_len: 10, log_every: 5}\n" +
		"quiescence: {steps: 30, batch: 10, step_steps: 10, var_steps: 30, var_discard: 10, var_batch: 5, drift_states: 50, kl_samples: 100, pca_batch: 10, pca_steps: 5}\n"
	s, _ := Parse([]byte(spec), []string{"out.dir=" + t.TempDir()})
	want, err := Run(context.Background(), s, experiment.Env{Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	point := s.pointDir("noisy", 0)
	for _, e := range []string{"arrays", "checkpoints", "figures", "report.html"} {
		os.RemoveAll(filepath.Join(point, e))
	}
	runtest.SetRecord(t, point, "analysis_version", 1)
	var log bytes.Buffer
	got, err := Run(context.Background(), s, experiment.Env{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "repeating the analyses") || got.first("noisy").KL != want.first("noisy").KL {
		t.Fatalf("KL %v vs %v\n%s", got.first("noisy").KL, want.first("noisy").KL, log.String())
	}
	if _, err := os.Stat(filepath.Join(point, "arrays", "W_rec.npy")); err != nil {
		t.Fatal(err)
	}
}

// tinyQuickPresets are the quick presets with three vanilla conditions
// in the spatial and head-direction studies and one GRU in the separate
// GRU study (a --set conditions=[...] would set all of them alike).
func tinyQuickPresets(t *testing.T) fstest.MapFS {
	t.Helper()
	dir := filepath.Join("..", "..", "configs", "offline-reactivation")
	names, _ := filepath.Glob(filepath.Join(dir, "*-quick.yaml"))
	fsys := fstest.MapFS{}
	conds := regexp.MustCompile(`(?m)^conditions: \[.*\]$`)
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		set := "conditions: [noisy, noisy_biased, nonoise]"
		if strings.Contains(name, "-gru-") {
			set = "conditions: [gru_noisy]"
		}
		if !conds.Match(data) {
			t.Fatalf("%s: no conditions line", name)
		}
		fsys["offline-reactivation/"+filepath.Base(name)] = &fstest.MapFile{Data: conds.ReplaceAll(data, []byte(set))}
	}
	return fsys
}

// stepProgress records the training phase's position: units skipped as
// trained before a resume and units added, and cancels on the first Add.
type stepProgress struct {
	experiment.Quiet
	skipped, added int
	cancel         func()
}

func (p *stepProgress) Skip(n int) { p.skipped += n }
func (p *stepProgress) Add(n int, _ string) {
	p.added += n
	if p.cancel != nil {
		p.cancel()
	}
}

// A network resumed mid-training counts its earlier steps as skipped, not
// as work of this process (the rate and ETA are those of the steps left),
// and the two add up to the training steps.
func TestResumedTrainingProgress(t *testing.T) {
	spec := "study: offline-reactivation\nname: rp\nseeds: [0]\nconditions: [noisy]\nnetwork: {n_rec: 16, cells: 32}\n" +
		"train: {steps: 20, batch: 8, seq_len: 10, log_every: 5}\n" +
		"quiescence: {steps: 30, batch: 10, step_steps: 10, var_steps: 30, var_discard: 10, var_batch: 5, drift_states: 50, kl_samples: 100, pca_batch: 10, pca_steps: 5}\n"
	s, _ := Parse([]byte(spec), []string{"out.dir=" + t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	first := &stepProgress{cancel: cancel}
	if _, err := Run(ctx, s, experiment.Env{Log: io.Discard, Progress: first}); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	if first.skipped != 0 || first.added != 5 {
		t.Fatalf("first process: skipped %d, added %d; want 0 and 5", first.skipped, first.added)
	}
	again := &stepProgress{}
	var log bytes.Buffer
	if _, err := Run(context.Background(), s, experiment.Env{Log: &log, Progress: again}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "resuming from step 6") || again.skipped != 5 || again.added != 15 {
		t.Fatalf("resumed: skipped %d, added %d; want 5 and 15\n%s", again.skipped, again.added, log.String())
	}
}

// The committed paper-scale records keep their identity: the spatial
// network's spec is unchanged by the head-direction options, and the
// head-direction record (trained before the authors' task) matches the
// spec with both options on and not the default (the authors' task).
func TestHeadDirTaskOptionsKeepRecords(t *testing.T) {
	sha := func(t *testing.T, preset string, sets ...string) (got, recorded string) {
		data, err := os.ReadFile("../../configs/offline-reactivation/" + preset + "-paper.yaml")
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(data, sets)
		if err != nil {
			t.Fatal(err)
		}
		got, err = s.pointSpec("noisy", 0).Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile("../../results/offline-reactivation-paper/offline-reactivation-" + preset + "-paper/runs/noisy_s0/run.json")
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			SHA string `json:"config_sha256"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		return got, rec.SHA
	}
	if got, rec := sha(t, "spatial"); got != rec {
		t.Errorf("spatial record no longer matches its preset: %s vs %s", got, rec)
	}
	if got, rec := sha(t, "headdir"); got == rec {
		t.Error("the authors' head-direction task has the old task's fingerprint")
	}
	if got, rec := sha(t, "headdir", "headdir.drop_first_step=true", "headdir.open_cell_spacing=true"); got != rec {
		t.Errorf("the old task's options do not match its record: %s vs %s", got, rec)
	}
}
