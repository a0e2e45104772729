package experiment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a Lifecycle that records which part ran; its Train writes a
// checkpoint and, unless told to stop, marks the run finished.
type recorder struct {
	calls *[]string
	stop  bool // Train writes its checkpoint and returns an error (an interruption)
}

func (l recorder) Reuse(run *RunDir) (string, error) {
	*l.calls = append(*l.calls, "reuse")
	return "reused", nil
}

func (l recorder) Reanalyse(run *RunDir) (string, error) {
	*l.calls = append(*l.calls, "reanalyse")
	return "reanalysed", run.MarkFinished()
}

func (l recorder) Train(ctx context.Context, run *RunDir, resume bool) (string, error) {
	*l.calls = append(*l.calls, map[bool]string{false: "train", true: "resume"}[resume])
	if l.stop {
		p := filepath.Join(run.Path, CheckpointPath)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("ckpt"), 0o644)
		return "", errors.New("interrupted")
	}
	return "trained", run.MarkFinished()
}

// TestExecuteRunsThePolicysPart walks one directory through every action
// and checks that exactly the decided part of the lifecycle ran.
func TestExecuteRunsThePolicysPart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	spec := specOf("name: a\nout: {dir: x}\ntrain: {lr: 0.003}\n")
	var calls []string
	do := func(l recorder, opt ExecuteOptions, s RunSpec) (string, Action, error) {
		return Execute(context.Background(), dir, s, opt, l)
	}
	// Resuming a directory that does not exist refuses and creates nothing.
	if _, _, err := do(recorder{calls: &calls}, ExecuteOptions{ResumeOnly: true}, spec); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Fatalf("resume of nothing: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("resume of nothing created %s", dir)
	}
	if _, act, err := do(recorder{calls: &calls, stop: true}, ExecuteOptions{}, spec); act != Train || err == nil {
		t.Fatalf("interrupted train: %v %v", act, err)
	}
	if r, act, err := do(recorder{calls: &calls}, ExecuteOptions{ResumeOnly: true}, spec); r != "trained" || act != Resume || err != nil {
		t.Fatalf("resume: %q %v %v", r, act, err)
	}
	if r, act, err := do(recorder{calls: &calls}, ExecuteOptions{}, spec); r != "reused" || act != Reuse || err != nil {
		t.Fatalf("reuse: %q %v %v", r, act, err)
	}
	if _, _, err := do(recorder{calls: &calls}, ExecuteOptions{ResumeOnly: true}, spec); err == nil || !strings.Contains(err.Error(), "already finished") {
		t.Fatalf("resume of a finished run: %v", err)
	}
	newer := spec
	newer.AnalysisVersion = 2
	if r, act, err := do(recorder{calls: &calls}, ExecuteOptions{}, newer); r != "reanalysed" || act != Reanalyse || err != nil {
		t.Fatalf("re-analyse: %q %v %v", r, act, err)
	}
	if r, act, err := do(recorder{calls: &calls}, ExecuteOptions{Force: true}, newer); r != "trained" || act != Train || err != nil {
		t.Fatalf("force: %q %v %v", r, act, err)
	}
	if _, _, err := do(recorder{calls: &calls}, ExecuteOptions{Force: true, ResumeOnly: true}, newer); err == nil {
		t.Fatal("force with resume-only accepted")
	}
	other := specOf("name: a\nout: {dir: x}\ntrain: {lr: 9}\n")
	if _, _, err := do(recorder{calls: &calls}, ExecuteOptions{}, other); err == nil || !strings.Contains(err.Error(), "train.lr=9") {
		t.Fatalf("another config: %v", err)
	}
	if got := strings.Join(calls, " "); got != "train resume reuse reanalyse train" {
		t.Fatalf("parts run: %s", got)
	}
}
