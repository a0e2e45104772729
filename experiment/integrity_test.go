package experiment

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/runtest"
	"github.com/circuitry-lab/circuitry/kernels"
)

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
	before := runtest.Snapshot(t, dir)
	other := specOf("name: a\nout: {dir: x}\ntrain: {lr: 9, batch_size: 64}\nhidden: [64, 64]\nextra: 1\n")
	_, _, err = Claim(dir, other, "ckpt", false)
	want := dir + ": finished with extra=(unset), train.batch_size=32, train.lr=0.003, the config now says extra=1, train.batch_size=64, train.lr=9 — use --force to retrain or another out dir"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, dir))
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

// A trainer version raised under a finished run (an architecture made the
// study's) makes it another config, and the refusal says so.
func TestTrainerVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	spec := specOf("a: 1\n")
	run, _, err := Claim(dir, spec, "ckpt", false)
	if err != nil {
		t.Fatal(err)
	}
	run.MarkFinished()
	run.Close()
	v2 := spec
	v2.Version = 2
	if _, err := Inspect(dir, v2, "ckpt", false); err == nil || !strings.Contains(err.Error(), "finished with trainer.version=(unset), the config now says trainer.version=2") {
		t.Fatalf("version 2 over version 0: %v", err)
	}
	run, _, err = Claim(dir, v2, "ckpt", true)
	if err != nil {
		t.Fatal(err)
	}
	run.MarkFinished()
	run.Close()
	if act, err := Inspect(dir, v2, "ckpt", false); err != nil || act != Reuse {
		t.Fatalf("version 2 again: %v %v", act, err)
	}
	other := v2
	other.Config = []byte("a: 2\n")
	if _, err := Inspect(dir, other, "ckpt", false); err == nil || !strings.Contains(err.Error(), "finished with a=1, the config now says a=2") {
		t.Fatalf("a version-2 run with another config: %v", err)
	}
}

// Analysis keys have their own fingerprint: changing one re-analyses a
// finished run (never retrains or refuses it) and lets an interrupted one
// resume; a training key still refuses, naming only training keys.
func TestAnalysisKeysReanalyse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	spec := func(lr, steps string) RunSpec {
		s := specOf("name: a\nout: {dir: x}\ntrain: {lr: " + lr + "}\nquiescence: {steps: " + steps + "}\n")
		s.Analysis = []string{"quiescence."}
		return s
	}
	run, _, err := Claim(dir, spec("0.1", "100"), "ckpt", false)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ckpt"), []byte("x"), 0o644)
	run.Close()
	if act, err := Inspect(dir, spec("0.1", "200"), "ckpt", false); err != nil || act != Resume {
		t.Fatalf("interrupted, other analysis keys: %v %v", act, err)
	}
	run, _, _ = Claim(dir, spec("0.1", "100"), "ckpt", false)
	run.MarkFinished()
	run.Close()
	if act, err := Inspect(dir, spec("0.1", "100"), "ckpt", false); err != nil || act != Reuse {
		t.Fatalf("same: %v %v", act, err)
	}
	changed := spec("0.1", "200")
	run, act, err := Claim(dir, changed, "ckpt", false)
	if err != nil || act != Reanalyse {
		t.Fatalf("finished, other analysis keys: %v %v", act, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "config.yaml")); !strings.Contains(string(b), "steps: 200") {
		t.Fatalf("config.yaml not updated for the re-analysis:\n%s", b)
	}
	// Interrupted re-analysis: still to do.
	if act, _ := Inspect(dir, changed, "ckpt", false); act != Reanalyse {
		t.Fatalf("before MarkFinished: %v", act)
	}
	run.MarkFinished()
	run.Close()
	if act, _ := Inspect(dir, changed, "ckpt", false); act != Reuse {
		t.Fatalf("after the re-analysis: %v", act)
	}
	_, err = Inspect(dir, spec("0.2", "300"), "ckpt", false)
	want := dir + ": finished with train.lr=0.1, the config now says train.lr=0.2 — use --force to retrain or another out dir"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

// A record written before the analysis split (one hash over every
// non-neutral key, no analysis hash) is the same training when that hash
// matches: re-analysed once, not refused.
func TestLegacyRecordReanalysed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	spec := specOf("name: a\ntrain: {lr: 0.1}\nquiescence: {steps: 100}\n")
	run, _, err := Claim(dir, spec, "ckpt", false)
	if err != nil {
		t.Fatal(err)
	}
	run.MarkFinished()
	run.Close()
	split := spec
	split.Analysis = []string{"quiescence."}
	if act, err := Inspect(dir, split, "ckpt", false); err != nil || act != Reanalyse {
		t.Fatalf("legacy record: %v %v", act, err)
	}
	run, _, _ = Claim(dir, split, "ckpt", false)
	run.MarkFinished()
	run.Close()
	if act, err := Inspect(dir, split, "ckpt", false); err != nil || act != Reuse {
		t.Fatalf("after its re-analysis: %v %v", act, err)
	}
	other := specOf("name: a\ntrain: {lr: 0.1}\nquiescence: {steps: 200}\n")
	other.Analysis = split.Analysis
	if act, err := Inspect(dir, other, "ckpt", false); err != nil || act != Reanalyse {
		t.Fatalf("then other analysis keys: %v %v", act, err)
	}
}

// Slurm values are checked before they reach a script: a newline would
// put a raw line into it.
func TestSlurmConfigValidate(t *testing.T) {
	good := SlurmConfig{Time: "01:00:00", CPUsPerTask: 2, Mem: "4G", Partition: "cpu", Extra: []string{"--account=lab", "--constraint=avx2&zen3"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*SlurmConfig)
		want string
	}{
		{func(c *SlurmConfig) { c.Time = "01:00:00\nrm -rf ~" }, "slurm.time"},
		{func(c *SlurmConfig) { c.Mem = "4G; reboot" }, "slurm.mem"},
		{func(c *SlurmConfig) { c.Partition = "a b" }, "slurm.partition"},
		{func(c *SlurmConfig) { c.Extra = []string{"--account=lab\n#SBATCH --x"} }, "slurm.extra[0]"},
		{func(c *SlurmConfig) { c.CPUsPerTask = 0 }, "slurm.cpus_per_task"},
	} {
		bad := good
		bad.Extra = append([]string(nil), good.Extra...)
		c.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", bad, err, c.want)
		}
		if err := (SlurmArray{Resources: bad, LogDir: t.TempDir()}).Write(filepath.Join(t.TempDir(), "s.sh")); err == nil {
			t.Errorf("%+v: script written", bad)
		}
	}
	for _, n := range []string{"", ".", "..", "a/b", `a\b`, "x\ny"} {
		if ValidName(n) == nil {
			t.Errorf("name %q accepted", n)
		}
	}
}

// Every metrics record also lands in the run's TensorBoard event file,
// which a resume rewrites to match the restored metrics.
func TestTensorBoardFollowsMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	run, _, err := Claim(dir, specOf("name: a\n"), "ckpt", false)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	run.AppendMetrics(map[string]any{"epoch": 1, "loss": 0.5, "layers": []map[string]float64{{"mean": 0.1}}})
	saved := run.Metrics()
	run.AppendMetrics(map[string]any{"epoch": 2, "loss": 0.25})
	b2, _ := os.ReadFile(filepath.Join(dir, tensorBoardFile))
	run.RestoreMetrics(saved)
	b1, _ := os.ReadFile(filepath.Join(dir, tensorBoardFile))
	if len(b2) <= len(b1) || !strings.Contains(string(b1), "layers/0/mean") || !strings.Contains(string(b2), "loss") {
		t.Fatalf("event file: %d bytes after two records, %d after restoring one", len(b2), len(b1))
	}
}

// A run records the arithmetic that started it; an interrupted one resumes
// only under the same (another would not continue it to the bits of an
// uninterrupted run); a finished one is reused whatever trained it, and a
// record from before arithmetic was recorded resumes as before.
func TestResumeNeedsTheSameArithmetic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	spec := specOf("name: a\nout: {dir: x}\ntrain: {lr: 0.003}\n")
	run, _, err := Claim(dir, spec, "ckpt", false)
	if err != nil {
		t.Fatal(err)
	}
	run.Close()
	os.WriteFile(filepath.Join(dir, "ckpt"), []byte("x"), 0o644)
	rec, err := ReadRecord(dir)
	if err != nil || rec.Arithmetic != kernels.Arithmetic() {
		t.Fatalf("run.json arithmetic %q, this binary %q (%v)", rec.Arithmetic, kernels.Arithmetic(), err)
	}
	rewrite := func(arith string, finished bool) {
		t.Helper()
		b, _ := os.ReadFile(filepath.Join(dir, "run.json"))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["arithmetic"], m["finished"] = arith, finished
		if arith == "" {
			delete(m, "arithmetic")
		}
		b, _ = json.Marshal(m)
		os.WriteFile(filepath.Join(dir, "run.json"), b, 0o644)
	}
	if act, err := Inspect(dir, spec, "ckpt", false); err != nil || act != Resume {
		t.Fatalf("same arithmetic: %v %v", act, err)
	}
	rewrite("amd64 GOAMD64=v3, fma kernels", false)
	before := runtest.Snapshot(t, dir)
	_, err = Inspect(dir, spec, "ckpt", false)
	if err == nil || !strings.Contains(err.Error(), "started under another arithmetic (amd64 GOAMD64=v3, fma kernels; this binary: "+kernels.Arithmetic()+")") {
		t.Fatalf("other arithmetic: %v", err)
	}
	if err := Resumable(dir, spec, "ckpt"); err == nil {
		t.Fatal("resumable under another arithmetic")
	}
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, dir))
	if act, err := Inspect(dir, spec, "ckpt", true); err != nil || act != Train {
		t.Fatalf("--force: %v %v", act, err)
	}
	rewrite("amd64 GOAMD64=v3, fma kernels", true)
	if act, err := Inspect(dir, spec, "ckpt", false); err != nil || act != Reuse {
		t.Fatalf("finished under another arithmetic: %v %v", act, err)
	}
	rewrite("", false)
	if act, err := Inspect(dir, spec, "ckpt", false); err != nil || act != Resume {
		t.Fatalf("legacy record: %v %v", act, err)
	}
}
