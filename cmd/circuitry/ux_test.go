package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circuitry-lab/circuitry/report"
)

// Presets work from any directory and can be printed; a study config
// given to train, and resume on a finished run, say what to do instead.
func TestPresetsAnywhereAndHelpfulErrors(t *testing.T) {
	work := t.TempDir() // not the repository: no configs/ here
	out, _, code := runCLI(t, work, "presets")
	if code != 0 || !strings.Contains(out, "configs/offline-reactivation/spatial-paper.yaml") || !strings.Contains(out, "configs/mlp-baseline.yaml") {
		t.Fatalf("presets: %d\n%s", code, out)
	}
	out, _, code = runCLI(t, work, "presets", "offline-reactivation/headdir-paper")
	if code != 0 || !strings.Contains(out, "name: offline-reactivation-headdir-paper") {
		t.Fatalf("presets NAME: %d\n%s", code, out)
	}
	_, stderr, code := runCLI(t, work, "train", "configs/mlp-baseline.yaml", "--data", "embedded", "--set", "train.epochs=1", "--set", "data.train_limit=200", "--set", "model.hidden=[8]")
	if code != 0 || !strings.Contains(stderr, "using the embedded preset configs/mlp-baseline.yaml") {
		t.Fatalf("train an embedded preset: %d\n%s", code, stderr)
	}
	run := filepath.Join(work, "runs", "mlp-baseline")
	if _, err := os.Stat(filepath.Join(run, "summary.json")); err != nil {
		t.Fatal(err)
	}
	study, _, _ := runCLI(t, work, "presets", "offline-reactivation/spatial-quick")
	if shown, _, code := runCLI(t, work, "config", "show", "offline-reactivation/spatial-quick"); code != 0 || shown != study || !strings.HasPrefix(study, "# Offline") {
		t.Fatalf("config show: exit %d, differs from presets NAME:\n%s", code, shown)
	}
	os.WriteFile(filepath.Join(work, "study.yaml"), []byte(study), 0o644)
	expectOneLineErrors(t, work, []errorCase{
		{[]string{"train", "study.yaml"}, "is a study config (study: offline-reactivation), not a single run: run it with `circuitry run"},
		{[]string{"resume", run}, "already finished; nothing to resume"},
		{[]string{"train", "configs/no-such.yaml"}, "no such file, and no preset of that name"},
	})
}

// `runs` lists runs with their results and the config keys that differ
// between runs of one kind; study points only with --points.
func TestRunsListsAndCompares(t *testing.T) {
	work := t.TempDir()
	for _, lr := range []string{"0.001", "0.003"} {
		if _, stderr, code := runCLI(t, work, "train", "configs/mlp-baseline.yaml", "--data", "embedded", "--set", "name=lr"+lr,
			"--set", "train.lr="+lr, "--set", "train.epochs=1", "--set", "data.train_limit=200", "--set", "model.hidden=[8]"); code != 0 {
			t.Fatal(stderr)
		}
	}
	out, _, code := runCLI(t, work, "runs")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || lines[0] != "Classifier runs (2)" || !strings.Contains(lines[1], "final_test_acc") || !strings.HasSuffix(lines[1], "train.lr") ||
		!strings.HasPrefix(lines[3], "lr0.003  finished") || !strings.HasSuffix(lines[3], "0.003") || strings.Contains(out, "train.epochs") {
		t.Fatalf("runs: %d\n%s", code, out)
	}
	out, _, _ = runCLI(t, work, "runs", "--json")
	if !strings.Contains(out, `"config_differs": {`) || !strings.Contains(out, `"train.lr": "0.001"`) {
		t.Fatalf("runs --json:\n%s", out)
	}
	// ls is runs; --sort orders by a config key, numerically, either way.
	out, _, code = runCLI(t, work, "ls", "--sort", "-train.lr")
	if code != 0 || strings.Index(out, "lr0.003") > strings.Index(out, "lr0.001") {
		t.Fatalf("ls --sort -train.lr: %d\n%s", code, out)
	}
	out, _, _ = runCLI(t, work, "ls", "--sort", "train.lr")
	if strings.Index(out, "lr0.003") < strings.Index(out, "lr0.001") {
		t.Fatalf("ls --sort train.lr:\n%s", out)
	}
	// compare: the differing config and every scalar result, one column each.
	a, b := filepath.Join("runs", "lr0.001"), filepath.Join("runs", "lr0.003")
	out, _, code = runCLI(t, work, "compare", a, b)
	lines = strings.Split(out, "\n")
	if code != 0 || !strings.HasPrefix(lines[0], "key") || !strings.Contains(lines[0], a) || !strings.Contains(out, "config train.lr") ||
		!strings.Contains(out, "final_test_acc") || strings.Contains(out, "config train.epochs") {
		t.Fatalf("compare: %d\n%s", code, out)
	}
	out, _, _ = runCLI(t, work, "compare", "--json", "--all", a, b)
	if !strings.Contains(out, `"train.epochs": [`) || !strings.Contains(out, `"final_test_acc": [`) {
		t.Fatalf("compare --json --all:\n%s", out)
	}
	expectOneLineErrors(t, work, []errorCase{
		{[]string{"ls", "--sort", "nosuchkey"}, "--sort nosuchkey: no row has it; sortable keys here: "},
		{[]string{"compare", a, work}, "not a run directory (no valid run.json)"},
		{[]string{"compare", a}, "requires at least 2 arg(s)"},
	})
}

// --cpuprofile writes a pprof profile (gzip) of any command, also one that
// fails; a path it cannot create is an error naming the flag.
func TestCPUProfileFlag(t *testing.T) {
	work := t.TempDir()
	prof := filepath.Join(work, "cpu.prof")
	if _, stderr, code := runCLI(t, work, "train", "configs/mlp-baseline.yaml", "--data", "embedded", "--set", "train.epochs=1",
		"--set", "data.train_limit=200", "--set", "model.hidden=[8]", "--cpuprofile", prof); code != 0 {
		t.Fatalf("train with --cpuprofile: %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"train", "configs/mlp-baseline.yaml", "--set", "train.epochs=-1"}, {"version"}} {
		os.Remove(prof)
		runCLI(t, work, append(args, "--cpuprofile", prof)...)
		if b, err := os.ReadFile(prof); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Fatalf("%v: profile %d bytes, %v; want a gzip pprof file", args, len(b), err)
		}
	}
	_, stderr, code := runCLI(t, work, "version", "--cpuprofile", filepath.Join(work, "no", "such", "dir", "p"))
	if code != 1 || !strings.Contains(stderr, "--cpuprofile:") {
		t.Fatalf("unwritable profile: %d %q", code, stderr)
	}
}

// Readers of run directories open only regular files, bounded, without
// blocking: a summary.json that is a symlink to /dev/zero (which made
// runs and compare read until out of memory) and a run.json that is a FIFO
// (which hung them) are refused with a line naming the file, and `runs`
// still lists the sound run beside them.
func TestReadersRefuseHostileFiles(t *testing.T) {
	work := t.TempDir()
	if _, stderr, code := runCLI(t, work, "train", "configs/mlp-baseline.yaml", "--data", "embedded", "--set", "name=good",
		"--set", "train.epochs=1", "--set", "data.train_limit=200", "--set", "model.hidden=[8]"); code != 0 {
		t.Fatal(stderr)
	}
	good := filepath.Join(work, "runs", "good")
	zero, fifo := filepath.Join(work, "runs", "zero"), filepath.Join(work, "runs", "fifo")
	for _, d := range []string{zero, fifo} {
		if err := os.CopyFS(d, os.DirFS(good)); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(zero, "summary.json"))
	if err := os.Symlink("/dev/zero", filepath.Join(zero, "summary.json")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(fifo, "run.json"))
	if err := syscall.Mkfifo(filepath.Join(fifo, "run.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	timed := func(args ...string) (string, string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "CIRCUITRY_TEST_MAIN=1", "CIRCUITRY_DATA=")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("%v blocked", args)
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return o.String(), e.String(), code
	}
	if out, stderr, code := timed("runs"); code != 0 || !strings.Contains(out, "good") {
		t.Fatalf("runs beside hostile directories: %d\n%s\n%s", code, out, stderr)
	}
	if _, stderr, code := timed("compare", good, zero); code == 0 || !strings.Contains(stderr, "summary.json") || !strings.Contains(stderr, "not a regular file") {
		t.Fatalf("compare with summary.json -> /dev/zero: %d %q", code, stderr)
	}
	if _, stderr, code := timed("compare", good, fifo); code == 0 || !strings.Contains(stderr, "run.json") {
		t.Fatalf("compare with a FIFO run.json: %d %q", code, stderr)
	}
}

// `config show` and `presets NAME` print embedded presets only: a path
// that leaves them is refused, not read from disk.
func TestConfigShowReadsOnlyPresets(t *testing.T) {
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "secret.yaml"), []byte("secret: 1\n"), 0o644)
	for _, name := range []string{"../../../etc/passwd", "../secret", "../../" + filepath.Base(work) + "/secret.yaml"} {
		out, stderr, code := runCLI(t, work, "config", "show", name)
		if code == 0 || strings.Contains(out, "root:") || strings.Contains(out, "secret") || !strings.Contains(stderr, "preset") {
			t.Errorf("config show %s: %d\n%s%s", name, code, out, stderr)
		}
	}
	if out, _, code := runCLI(t, work, "presets", "inhibitory-normalization/long"); code != 0 || !strings.Contains(out, "study's length") {
		t.Errorf("presets inhibitory-normalization/long: %d\n%s", code, out)
	}
}

// A finished run is reused only on data of the identity it recorded: the
// same config trained on the embedded subset is refused once --data points
// at other images (the train_limit subset of another copy is other
// images), naming both; the same data reuses it; --force retrains.
func TestReuseRequiresTheSameData(t *testing.T) {
	work := t.TempDir()
	args := []string{"train", "configs/mlp-baseline.yaml", "--set", "name=d", "--set", "train.epochs=1", "--set", "data.train_limit=20",
		"--set", "model.hidden=[8]", "--set", "train.batch_size=10"}
	if _, stderr, code := runCLI(t, work, append(args, "--data", "embedded")...); code != 0 {
		t.Fatal(stderr)
	}
	rec, _ := os.ReadFile(filepath.Join(work, "runs", "d", "run.json"))
	if !strings.Contains(string(rec), `"data_identity": "embedded subset"`) {
		t.Fatalf("run.json does not record the data:\n%s", rec)
	}
	other := dataDir(t, nil)
	_, stderr, code := runCLI(t, work, append(args, "--data", other)...)
	if code == 0 || !strings.Contains(stderr, "circuitry: runs/d: trained on embedded subset, the data now is sha256:") || strings.Count(stderr, "circuitry:") != 1 {
		t.Fatalf("other data: %d %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, work, append(args, "--data", "embedded")...); code != 0 || !strings.Contains(stderr, "reusing it") {
		t.Fatalf("same data: %d %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, work, append(args, "--data", other, "--force")...); code != 0 {
		t.Fatalf("--force: %d %q", code, stderr)
	}
	if rec, _ := os.ReadFile(filepath.Join(work, "runs", "d", "run.json")); !strings.Contains(string(rec), `"data_identity": "sha256:`) {
		t.Fatalf("retrained run.json:\n%s", rec)
	}
}

// runs prints one table per kind, each row on one line within the width:
// studies of two kinds get separate tables with their own keys; numbers are
// right-aligned; config columns that do not fit are counted, and --wide
// shows them all with whole values.
func TestRunsTablesPerKind(t *testing.T) {
	long := "[e_ln, inorm, inorm_full, inorm_center, inorm_fa_center, ei, ei_ln]"
	rows := []report.RunInfo{
		{Path: "a", Kind: "classifier", Status: "finished", Metrics: map[string]any{"final_test_acc": 0.8815}, Config: map[string]string{"train.lr": "0.001", "model.hidden": "[500, 500]"}},
		{Path: "b", Kind: "classifier", Status: "diverged", Metrics: map[string]any{"final_test_acc": 0.1}, Config: map[string]string{"train.lr": "10", "model.hidden": "[64]"}},
		{Path: "s1", Kind: report.StudyKind("inhibitory-normalization"), Status: "180/180 points, judged", Metrics: map[string]any{"pass": 12.0}, Config: map[string]string{"conditions": long, "epochs": "50"}},
		{Path: "s2", Kind: report.StudyKind("offline-reactivation"), Status: "4/4 points", Metrics: map[string]any{"pass": 3.0}, Config: map[string]string{"seeds": "[0, 1]"}},
	}
	for i := 0; i < 20; i++ {
		rows[0].Config[fmt.Sprintf("key%02d", i)] = "some-value"
	}
	var out bytes.Buffer
	printRows(&out, rows, 100, false)
	text := out.String()
	for _, want := range []string{"Studies: inhibitory-normalization (1)", "Studies: offline-reactivation (1)", "Classifier runs (2) — ", "not shown: --wide", "0.8815", "…"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "Studies") > strings.Index(text, "Classifier") {
		t.Errorf("studies not first:\n%s", text)
	}
	for _, l := range strings.Split(text, "\n") {
		if len([]rune(l)) > 100 {
			t.Errorf("line of %d characters: %q", len([]rune(l)), l)
		}
	}
	if !strings.Contains(text, "b  diverged           0.1") && !strings.Contains(text, "   0.1") {
		t.Errorf("numbers not right-aligned:\n%s", text)
	}
	out.Reset()
	printRows(&out, rows, 100, true)
	if !strings.Contains(out.String(), long) || !strings.Contains(out.String(), "key19") || strings.Contains(out.String(), "not shown") {
		t.Errorf("--wide:\n%s", out.String())
	}
	// Paths nested deep in a results tree are cut at the start (their last
	// parts tell rows apart); a terminal narrower than the results drops
	// result columns from the end and says so.
	deep := strings.Repeat("offline-reactivation-paper/", 4) + "runs/noisy_s1"
	nested := []report.RunInfo{{Path: deep, Kind: "reactivation", Status: "finished",
		Metrics: map[string]any{"decode_err": 0.0038, "kl_quiescent_waking": 0.94, "quiescent_variance": 0.012, "seconds_per_step": 1.2}}}
	out.Reset()
	printRows(&out, nested, 120, false)
	if !strings.Contains(out.String(), "reactivation-paper/runs/noisy_s1") || !strings.Contains(out.String(), "…") || !strings.Contains(out.String(), "seconds_per_step") {
		t.Errorf("nested path at 120 columns:\n%s", out.String())
	}
	out.Reset()
	printRows(&out, nested, 60, false)
	if !strings.Contains(out.String(), "— more with --wide") || !strings.Contains(out.String(), "decode_err") || strings.Contains(out.String(), "seconds_per_step") {
		t.Errorf("60 columns:\n%s", out.String())
	}
	out.Reset()
	printRows(&out, nested, 80, false)
	if !strings.Contains(out.String(), "— hidden: 2 result columns, config keys (--wide)") {
		t.Errorf("80 columns:\n%s", out.String())
	}
	out.Reset()
	printRows(&out, nested, 60, false)
	for _, l := range strings.Split(out.String(), "\n") {
		if len([]rune(l)) > 60 {
			t.Errorf("line of %d characters at 60: %q", len([]rune(l)), l)
		}
	}
}
