package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"time"

	"github.com/circuitry-lab/circuitry/internal/checkpoint"
	"github.com/circuitry-lab/circuitry/internal/runtest"
)

// startKill starts the CLI with args in dir, waits until path exists, lets
// it run on for delay and kills it with SIGKILL. It reports whether the
// process was still running when killed.
func startKill(t *testing.T, dir, path string, delay time.Duration, args ...string) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CIRCUITRY_TEST_MAIN=1", "CIRCUITRY_DATA=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		select {
		case <-done:
			return false
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(delay)
	cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	return err != nil // killed, not finished
}

var secondsField = regexp.MustCompile(`"seconds":[0-9.e+-]+`)

func sameFile(t *testing.T, a, b string, stripSeconds bool) {
	t.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("read: %v %v", err1, err2)
	}
	if stripSeconds {
		x, y = secondsField.ReplaceAll(x, nil), secondsField.ReplaceAll(y, nil)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s and %s differ", a, b)
	}
}

func TestKilledClassifierResumesBitIdentical(t *testing.T) {
	skipInShort(t)
	for _, model := range []string{"model:\n  hidden: [256, 128]\n", "model:\n  kind: dale\n  condition: inorm_full\n  hidden: [200, 100]\ntrain:\n  optimizer: sgd\n  lr: 0.005\n  lr_wix: 0.5\n  lr_wei: 0.001\n"} {
		work := t.TempDir()
		cfg := filepath.Join(work, "c.yaml")
		os.WriteFile(cfg, []byte("name: r\ndata:\n  train_limit: 3000\n"+model), 0o644)
		args := []string{"train", cfg, "--data", "embedded", "--set", "train.epochs=3", "--set", "train.batch_size=20", "--set", "train.checkpoint_every=25"}
		if strings.Contains(model, "dale") { // the study's protocol: file order, a fresh test shift per evaluation
			args = append(args, "--set", "train.shuffle=false", "--set", "data.fixed_test_shift=false")
		}
		if _, stderr, code := runCLI(t, work, append(args, "--out", "a")...); code != 0 {
			t.Fatalf("uninterrupted run: %s", stderr)
		}
		killed := startKill(t, work, filepath.Join(work, "b", "r", "checkpoints", "checkpoint.bin"), 150*time.Millisecond, append(args, "--out", "b")...)
		if !killed {
			t.Fatal("the run finished before it could be killed; make it longer")
		}
		if _, err := os.Stat(filepath.Join(work, "b", "r", "summary.json")); err == nil {
			t.Fatal("killed run has a summary")
		}
		if _, stderr, code := runCLI(t, work, "resume", filepath.Join("b", "r"), "--data", "embedded"); code != 0 {
			t.Fatalf("resume: %s", stderr)
		}
		sameFile(t, filepath.Join(work, "a", "r", "weights.safetensors"), filepath.Join(work, "b", "r", "weights.safetensors"), false)
		sameFile(t, filepath.Join(work, "a", "r", "metrics.jsonl"), filepath.Join(work, "b", "r", "metrics.jsonl"), true)
	}
}

func TestKilledRNNStudyResumesBitIdentical(t *testing.T) {
	skipInShort(t)
	work := t.TempDir()
	spec := filepath.Join(work, "s.yaml")
	os.WriteFile(spec, []byte(`study: offline-reactivation
name: s
seeds: [0]
conditions: [noisy]
network: {n_rec: 64, cells: 128}
train: {steps: 300, batch: 32, seq_len: 50, log_every: 10, lr: 0.003, checkpoint_every: 20}
quiescence: {steps: 60, batch: 20, step_steps: 20, var_steps: 60, var_discard: 20, var_batch: 10, drift_states: 100, kl_samples: 300}
`), 0o644)
	if _, stderr, code := runCLI(t, work, "run", spec, "--out", "a"); code != 0 {
		t.Fatalf("uninterrupted: %s", stderr)
	}
	point := filepath.Join("s", "runs", "noisy_s0")
	if !startKill(t, work, filepath.Join(work, "b", point, "checkpoints", "checkpoint.bin"), 300*time.Millisecond, "run", spec, "--out", "b") {
		t.Fatal("the study finished before it could be killed")
	}
	// `circuitry resume` on the point directory continues it.
	_, stderr, code := runCLI(t, work, "resume", filepath.Join("b", point))
	if code != 0 || !bytes.Contains([]byte(stderr), []byte("resuming from step")) {
		t.Fatalf("resume: exit %d %s", code, stderr)
	}
	sameFile(t, filepath.Join(work, "a", point, "weights.safetensors"), filepath.Join(work, "b", point, "weights.safetensors"), false)
	sameFile(t, filepath.Join(work, "a", point, "metrics.jsonl"), filepath.Join(work, "b", point, "metrics.jsonl"), true)
	sameFile(t, filepath.Join(work, "a", point, "arrays", "quiescent_decoded.npy"), filepath.Join(work, "b", point, "arrays", "quiescent_decoded.npy"), false)
}

func TestResumeRefusesCorruptAndForeignCheckpoints(t *testing.T) {
	work := t.TempDir()
	cfg := filepath.Join(work, "c.yaml")
	os.WriteFile(cfg, []byte("name: r\ndata:\n  train_limit: 1000\nmodel:\n  hidden: [32]\ntrain:\n  epochs: 2\n  batch_size: 50\n"), 0o644)
	if _, stderr, code := runCLI(t, work, "train", cfg, "--data", "embedded"); code != 0 {
		t.Fatal(stderr)
	}
	run := filepath.Join(work, "runs", "r")
	ck := filepath.Join(run, "checkpoints", "checkpoint.bin")
	good, _ := os.ReadFile(ck)
	// As if killed after its last checkpoint.
	rec, _ := os.ReadFile(filepath.Join(run, "run.json"))
	os.WriteFile(filepath.Join(run, "run.json"), bytes.Replace(rec, []byte(`"finished": true`), []byte(`"finished": false`), 1), 0o644)
	os.WriteFile(ck, good[:len(good)/2], 0o644)
	if _, stderr, code := runCLI(t, work, "resume", run, "--data", "embedded"); code == 0 || !bytes.Contains([]byte(stderr), []byte("truncated")) ||
		!bytes.Contains([]byte(stderr), []byte("checkpoint.bin.prev")) {
		t.Fatalf("truncated checkpoint: exit %d %s", code, stderr)
	}
	os.WriteFile(ck, good, 0o644)
	// A checkpoint from a different config is refused.
	b, _ := os.ReadFile(filepath.Join(run, "config.yaml"))
	os.WriteFile(filepath.Join(run, "config.yaml"), bytes.Replace(b, []byte("lr: 0.001"), []byte("lr: 0.002"), 1), 0o644)
	if _, stderr, code := runCLI(t, work, "resume", run, "--data", "embedded"); code == 0 || !bytes.Contains([]byte(stderr), []byte("edited by hand")) {
		t.Fatalf("edited config: exit %d %s", code, stderr)
	}
	// A checkpoint written by another config is refused, and nothing is
	// deleted.
	os.WriteFile(filepath.Join(run, "config.yaml"), b, 0o644)
	other := filepath.Join(work, "other.yaml")
	os.WriteFile(other, bytes.Replace(b, []byte("lr: 0.001"), []byte("lr: 0.002"), 1), 0o644)
	if _, stderr, code := runCLI(t, work, "train", other, "--data", "embedded", "--out", "o", "--set", "name=r"); code != 0 {
		t.Fatal(stderr)
	}
	foreign, _ := os.ReadFile(filepath.Join(work, "o", "r", "checkpoints", "checkpoint.bin"))
	os.WriteFile(ck, foreign, 0o644)
	os.WriteFile(filepath.Join(run, "mine.txt"), []byte("keep"), 0o644)
	if _, stderr, code := runCLI(t, work, "resume", run, "--data", "embedded"); code == 0 || !bytes.Contains([]byte(stderr), []byte("written by a different config")) {
		t.Fatalf("foreign checkpoint: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(run, "mine.txt")); err != nil {
		t.Fatal("a refused resume deleted a file of the user's")
	}
	// Hand-made checkpoints with a valid checksum but impossible contents
	// (the data order not a permutation, a negative epoch) are errors.
	st, err := checkpoint.Load(filepath.Join(work, "o", "r", "checkpoints", "checkpoint.bin"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(run, "config.yaml"), bytes.Replace(b, []byte("lr: 0.001"), []byte("lr: 0.002"), 1), 0o644)
	runtest.SetRecord(t, run, "config_sha256", st.ConfigHash)
	for _, c := range []struct {
		edit func(loop map[string]any)
		want string
	}{
		{func(l map[string]any) { p := l["Perm"].([]any); p[1] = p[0] }, "not a permutation"},
		{func(l map[string]any) { l["Epoch"] = -3 }, "epoch -3"},
		{func(l map[string]any) { l["Correct"] = -5 }, "-5 correct predictions"},
	} {
		var loop map[string]any
		json.Unmarshal(st.Loop, &loop)
		if loop["Perm"] == nil { // saved at an epoch's start: give it the file order
			perm := make([]any, 1000)
			for i := range perm {
				perm[i] = i
			}
			loop["Perm"] = perm
		}
		c.edit(loop)
		forged := *st
		forged.Loop, _ = json.Marshal(loop)
		if err := checkpoint.Save(ck, &forged); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := runCLI(t, work, "resume", run, "--data", "embedded"); code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("forged checkpoint (%s): exit %d %s", c.want, code, stderr)
		}
	}
	// An optimiser buffer shorter than its parameter (it resumed to other
	// weights) and a negative step count are errors too.
	for _, c := range []struct {
		edit func(s *checkpoint.State)
		want string
	}{
		{func(s *checkpoint.State) { s.Optim[0] = s.Optim[0][:len(s.Optim[0])-1] }, "optimiser buffer 0 has"},
		{func(s *checkpoint.State) { s.OptimCounter = -1 }, "optimiser step count -1"},
	} {
		forged := *st
		forged.Optim = append([][]float32(nil), st.Optim...)
		c.edit(&forged)
		if err := checkpoint.Save(ck, &forged); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := runCLI(t, work, "resume", run, "--data", "embedded"); code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("forged checkpoint (%s): exit %d %s", c.want, code, stderr)
		}
	}
}

// A second process on a run directory that another is writing fails at
// once with one line, and leaves the running run intact.
func TestSecondProcessOnALockedRun(t *testing.T) {
	work := t.TempDir()
	cfg := filepath.Join(work, "c.yaml")
	os.WriteFile(cfg, []byte("name: r\ndata:\n  train_limit: 3000\nmodel:\n  hidden: [256, 128]\ntrain:\n  epochs: 20\n  batch_size: 20\n  checkpoint_every: 25\n"), 0o644)
	first := exec.Command(os.Args[0], "train", cfg, "--data", "embedded")
	first.Dir = work
	first.Env = append(os.Environ(), "CIRCUITRY_TEST_MAIN=1", "CIRCUITRY_DATA=")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Kill(); first.Wait() }()
	ckpt := filepath.Join(work, "runs", "r", "checkpoints", "checkpoint.bin")
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run never checkpointed")
		}
	}
	for _, args := range [][]string{{"train", cfg, "--data", "embedded", "--force"}, {"resume", filepath.Join("runs", "r"), "--data", "embedded"}} {
		start := time.Now()
		_, stderr, code := runCLI(t, work, args...)
		if code == 0 || !bytes.Contains([]byte(stderr), []byte("in use by process")) || bytes.Count([]byte(stderr), []byte("\n")) != 1 || time.Since(start) > 20*time.Second {
			t.Fatalf("%v: exit %d after %s: %q", args, code, time.Since(start), stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "runs", "r", "config.yaml")); err != nil {
		t.Fatal("the refused --force removed the running run's config.yaml")
	}
}

// Ctrl-C and SIGTERM stop a run with the shell's status for death by that
// signal (130, 143) after a checkpoint, and the run resumes to the same
// weights as an uninterrupted one.
func TestSignalsExitWithShellStatus(t *testing.T) {
	skipInShort(t)
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		work := t.TempDir()
		cfg := filepath.Join(work, "c.yaml")
		os.WriteFile(cfg, []byte("name: r\ndata:\n  train_limit: 3000\nmodel:\n  hidden: [256, 128]\ntrain:\n  epochs: 3\n  batch_size: 20\n  checkpoint_every: 25\n"), 0o644)
		args := []string{"train", cfg, "--data", "embedded"}
		if _, stderr, code := runCLI(t, work, append(args, "--out", "a")...); code != 0 {
			t.Fatalf("uninterrupted run: %s", stderr)
		}
		cmd := exec.Command(os.Args[0], append(args, "--out", "b")...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "CIRCUITRY_TEST_MAIN=1", "CIRCUITRY_DATA=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ck := filepath.Join(work, "b", "r", "checkpoints", "checkpoint.bin")
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			if _, err := os.Stat(ck); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("no checkpoint appeared")
			}
		}
		cmd.Process.Signal(c.sig)
		cmd.Wait()
		if got := cmd.ProcessState.ExitCode(); got != c.code || !strings.Contains(stderr.String(), "stopping") {
			t.Fatalf("%v: exit %d, want %d; stderr:\n%s", c.sig, got, c.code, stderr.String())
		}
		if _, stderr, code := runCLI(t, work, "resume", filepath.Join("b", "r"), "--data", "embedded"); code != 0 {
			t.Fatalf("resume: %s", stderr)
		}
		sameFile(t, filepath.Join(work, "a", "r", "weights.safetensors"), filepath.Join(work, "b", "r", "weights.safetensors"), false)
	}
}
