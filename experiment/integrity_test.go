package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// setRecord edits a run directory's run.json, as a crash or an older
// version would have left it.
func setRecord(t *testing.T, dir string, edit func(*Record)) {
	t.Helper()
	rec, err := ReadRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(rec)
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(filepath.Join(dir, recordName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every file under dir to its contents, to show a refusal
// changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("refusal changed the directory: %d files before, %d after", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("refusal changed %s", k)
		}
	}
}

func specOf(yaml string) RunSpec {
	return RunSpec{Kind: "test", Config: []byte(yaml), Neutral: []string{"name", "out.dir"}, AnalysisVersion: 1}
}

func TestPolicyDecisions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	spec := specOf("name: a\nout: {dir: x}\ntrain: {lr: 0.003, batch_size: 32}\nhidden: [64, 64]\n")
	if act, err := Inspect(dir, spec, "ckpt", false); err != nil || act != Train {
		t.Fatalf("new dir: %v %v", act, err)
	}
	run, act, err := Claim(dir, spec, "ckpt", false)
	if err != nil || act != Train {
		t.Fatalf("claim: %v %v", act, err)
	}
	if err := run.AppendMetrics(map[string]int{"epoch": 1}); err != nil {
		t.Fatal(err)
	}
	run.AppendMetrics(map[string]int{"epoch": 2})
	if b, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl")); string(b) != "{\"epoch\":1}\n{\"epoch\":2}\n" {
		t.Fatalf("metrics = %q", b)
	}
	// Interrupted before any checkpoint: restart; with one: resume.
	if act, _ := Inspect(dir, spec, "ckpt", false); act != Restart {
		t.Fatalf("no checkpoint: %v", act)
	}
	os.WriteFile(filepath.Join(dir, "ckpt"), []byte("x"), 0o644)
	if act, _ := Inspect(dir, spec, "ckpt", false); act != Resume {
		t.Fatalf("checkpoint: %v", act)
	}
	os.MkdirAll(filepath.Join(dir, "figures"), 0o755)
	os.WriteFile(filepath.Join(dir, "figures", "f.png"), []byte("png"), 0o644)
	if err := run.MarkFinished(); err != nil {
		t.Fatal(err)
	}
	run.Close()
	// Where it is written does not change what it is.
	moved := specOf("name: b\nout: {dir: y}\ntrain: {lr: 0.003, batch_size: 32}\nhidden: [64, 64]\n")
	if act, err := Inspect(dir, moved, "ckpt", false); err != nil || act != Reuse {
		t.Fatalf("finished: %v %v", act, err)
	}
	newer := moved
	newer.AnalysisVersion = 2
	if act, _ := Inspect(dir, newer, "ckpt", false); act != Reanalyse {
		t.Fatalf("older analysis: %v", act)
	}
	// Another config: one line naming the run and every key that differs.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	before := snapshot(t, dir)
	other := specOf("name: a\nout: {dir: x}\ntrain: {lr: 9, batch_size: 64}\nhidden: [64, 64]\nextra: 1\n")
	_, _, err = Claim(dir, other, "ckpt", false)
	want := dir + ": finished with extra=(unset), train.batch_size=32, train.lr=0.003, the config now says extra=1, train.batch_size=64, train.lr=9 — use --force to retrain or another out dir"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	sameSnapshot(t, before, snapshot(t, dir))
	// --force removes only what the run wrote.
	run, act, err = Claim(dir, other, "ckpt", true)
	if err != nil || act != Train {
		t.Fatalf("force: %v %v", act, err)
	}
	run.Close()
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	sort.Strings(left)
	if strings.Join(left, " ") != ".lock config.yaml notes.txt run.json" {
		t.Fatalf("after --force: %v", left)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "config.yaml")); string(b) != string(other.Config) {
		t.Fatalf("config.yaml = %q", b)
	}
}

func TestPolicyRefusesForeignAndDamaged(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte("{}"), 0o644)
	spec := specOf("a: 1\n")
	if _, err := Inspect(dir, spec, "ckpt", false); err == nil || !strings.Contains(err.Error(), "no run.json") {
		t.Fatalf("legacy dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, recordName), []byte("{not json"), 0o644)
	if _, err := Inspect(dir, spec, "ckpt", false); err == nil || !strings.Contains(err.Error(), "run.json: not a valid run record") {
		t.Fatalf("damaged record: %v", err)
	}
	if act, err := Inspect(dir, spec, "ckpt", true); err != nil || act != Train {
		t.Fatalf("force: %v %v", act, err)
	}
	run, _, err := Claim(filepath.Join(t.TempDir(), "k"), spec, "ckpt", false)
	if err != nil {
		t.Fatal(err)
	}
	run.Close()
	other := spec
	other.Kind = "other"
	if _, err := Inspect(run.Path, other, "ckpt", false); err == nil || !strings.Contains(err.Error(), "holds a test run, not a other run") {
		t.Fatalf("kind: %v", err)
	}
}

func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDir(dir)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("second lock: %v", err)
	}
	// A claimed run directory is locked for as long as it is open.
	if _, _, err := Claim(dir, specOf("a: 1\n"), "ckpt", false); err == nil || !strings.Contains(err.Error(), "in use by") {
		t.Fatalf("claim of a locked dir: %v", err)
	}
	l.Unlock()
	l2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	l2.Unlock()
}

// The reproductions of the engine's old idea of "finished" (summary.json
// exists), each now a refusal that leaves the directory as it was.
func TestClassifierRunRefusesOtherConfig(t *testing.T) {
	cfg := tinyConfig(t, "r")
	cfg.Train.Epochs = 1
	if _, err := TrainClassifier(context.Background(), cfg, RunOptions{DataDir: "embedded"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.Out.Dir, cfg.Name)
	before := snapshot(t, dir)
	var log bytes.Buffer
	if _, err := TrainClassifier(context.Background(), cfg, RunOptions{DataDir: "embedded", Log: &log}); err != nil || !strings.Contains(log.String(), "reusing") {
		t.Fatalf("same config: %v, log %q", err, log.String())
	}
	changed := cfg
	changed.Train.BatchSize, changed.Train.LabelSmoothing = 64, 0
	_, err := TrainClassifier(context.Background(), changed, RunOptions{DataDir: "embedded"})
	if err == nil || !strings.Contains(err.Error(), "finished with train.batch_size=20, train.label_smoothing=0.1, the config now says train.batch_size=64, train.label_smoothing=0") {
		t.Fatalf("changed config: %v", err)
	}
	if _, err := ResumeClassifier(context.Background(), dir, RunOptions{DataDir: "embedded"}); err == nil || !strings.Contains(err.Error(), "already finished") {
		t.Fatalf("resume of a finished run: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte("{trunc"), 0o644)
	if _, err := TrainClassifier(context.Background(), cfg, RunOptions{DataDir: "embedded"}); err == nil || !strings.Contains(err.Error(), "summary.json: damaged") {
		t.Fatalf("damaged summary: %v", err)
	}
	sum, err := TrainClassifier(context.Background(), changed, RunOptions{DataDir: "embedded", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if !strings.Contains(string(b), "batch_size: 64") || sum.Epochs != 1 {
		t.Fatalf("forced run's config.yaml:\n%s", b)
	}
}

func TestInhibitoryStudyRefusesChangedPoints(t *testing.T) {
	out := t.TempDir()
	spec := "study: inhibitory-normalization\nname: tiny\nconditions: [ei]\neps: [0.5, 0.501]\nhparams: [0]\nepochs: 1\ntrain_limit: 500\nworkers: 1\n"
	s, err := ParseInhibitoryStudy([]byte(spec), []string{"out.dir=" + out})
	if err != nil {
		t.Fatal(err)
	}
	pts, _ := s.Points()
	if pts[0].Config.Name == pts[1].Config.Name {
		t.Fatalf("eps 0.5 and 0.501 share %s", pts[0].Config.Name)
	}
	if _, err := RunInhibitoryStudy(context.Background(), s, "embedded", Quiet{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s.Dir())
	changed, _ := ParseInhibitoryStudy([]byte(spec), []string{"out.dir=" + out, "batch_size=64", "label_smoothing=0"})
	_, err = RunInhibitoryStudy(context.Background(), changed, "embedded", Quiet{}, io.Discard)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "train.batch_size=32, train.label_smoothing=0.1, the config now says train.batch_size=64") ||
		!strings.Contains(err.Error(), "(and 1 more points like it)") {
		t.Fatalf("changed study: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, s.Dir()))
	for _, bad := range []string{"eps=[0.5, 0.5]", "hparams=[1, 1]", "conditions=[ei, ei]"} {
		if _, err := ParseInhibitoryStudy([]byte(spec), []string{bad}); err == nil || !strings.Contains(err.Error(), "listed twice") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestSweepRefusesChangedGrid(t *testing.T) {
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "base.yaml"), []byte("data: {train_limit: 300}\nmodel: {hidden: [16]}\ntrain: {epochs: 1, batch_size: 50}\n"), 0o644)
	write := func(lrs string) string {
		p := filepath.Join(work, "sweep.yaml")
		os.WriteFile(p, []byte("sweep: stale\nbase: base.yaml\ngrid:\n  train.lr: "+lrs+"\nout: {dir: "+work+"}\n"), 0o644)
		return p
	}
	s, pts, err := LoadSweep(write("[0.001, 0.003]"))
	if err != nil {
		t.Fatal(err)
	}
	if err := RunSweep(context.Background(), s, pts, 1, RunOptions{DataDir: "embedded"}, Quiet{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s.Dir())
	s, pts, _ = LoadSweep(write("[5, 9]"))
	err = RunSweep(context.Background(), s, pts, 1, RunOptions{DataDir: "embedded"}, Quiet{}, io.Discard)
	want := filepath.Join(work, "stale", "runs", "p0000") + ": finished with train.lr=0.001, the config now says train.lr=5"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	sameSnapshot(t, before, snapshot(t, s.Dir()))
	if _, _, err := LoadSweep(write("[0.001, 0.001]")); err == nil || !strings.Contains(err.Error(), "grid.train.lr lists 0.001 twice") {
		t.Fatalf("duplicate grid value: %v", err)
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
	s, err := ParseReactivationStudy([]byte(spec), []string{"out.dir=" + out})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunReactivationStudy(context.Background(), s, Quiet{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	point := s.pointDir("noisy", 0)
	before := snapshot(t, s.Dir())
	wider, _ := ParseReactivationStudy([]byte(spec), []string{"out.dir=" + out, "network.n_rec=64"})
	if _, err := RunReactivationStudy(context.Background(), wider, Quiet{}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), point+": finished with network.n_rec=16, the config now says network.n_rec=64") {
		t.Fatalf("wider network: %v", err)
	}
	// More seeds add points; the finished one is still reused.
	if _, err := ParseReactivationStudy([]byte(spec), []string{"seeds=[0, 0]"}); err == nil || !strings.Contains(err.Error(), "seeds[1] = 0: listed twice") {
		t.Fatalf("duplicate seeds: %v", err)
	}
	// A damaged array of a finished run is an error naming it, not a retrain.
	arr := filepath.Join(point, "arrays", "waking_decoded.npy")
	good, _ := os.ReadFile(arr)
	os.WriteFile(arr, good[:20], 0o644)
	damaged := snapshot(t, s.Dir())
	if _, err := RunReactivationStudy(context.Background(), s, Quiet{}, io.Discard); err == nil || !strings.Contains(err.Error(), arr+": finished run with a damaged array") {
		t.Fatalf("damaged array: %v", err)
	}
	sameSnapshot(t, damaged, snapshot(t, s.Dir()))
	os.WriteFile(arr, good, 0o644)
	sameSnapshot(t, before, snapshot(t, s.Dir()))
	// resume with a checkpoint of another config refuses and deletes nothing.
	setRecord(t, point, func(r *Record) { r.Finished = false })
	if _, err := RunReactivationStudy(context.Background(), wider.WithForce(true), Quiet{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	foreign, _ := os.ReadFile(filepath.Join(point, reactivationCheckpoint))
	if _, err := RunReactivationStudy(context.Background(), s.WithForce(true), Quiet{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	setRecord(t, point, func(r *Record) { r.Finished = false })
	os.WriteFile(filepath.Join(point, reactivationCheckpoint), foreign, 0o644)
	os.WriteFile(filepath.Join(point, "mine.txt"), []byte("keep"), 0o644)
	if _, err := ResumeReactivationPoint(context.Background(), point, Quiet{}, io.Discard); err == nil || !strings.Contains(err.Error(), "written by a different config") {
		t.Fatalf("foreign checkpoint: %v", err)
	}
	if _, err := os.Stat(filepath.Join(point, "mine.txt")); err != nil {
		t.Fatal("a refused resume deleted a file of the user's")
	}
}
