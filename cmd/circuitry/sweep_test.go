package main

import (
	"github.com/circuitry-lab/circuitry/internal/browser"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func writeSweep(t *testing.T, dir, grid string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "base.yaml"), []byte("name: x\ndata: {train_limit: 600}\nmodel: {hidden: [16]}\ntrain: {epochs: 1, batch_size: 50}\n"), 0o644)
	spec := filepath.Join(dir, "spec.yaml")
	os.WriteFile(spec, []byte("sweep: sw\nbase: base.yaml\n"+grid+"out: {dir: "+filepath.Join(dir, "runs")+"}\n"), 0o644)
	return spec
}

// errorCase is a command line that must fail with a one-line error
// containing want.
type errorCase struct {
	args []string
	want string
}

func expectOneLineErrors(t *testing.T, dir string, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		_, stderr, code := runCLI(t, dir, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// slurmWorkDir skips (or, with CIRCUITRY_REQUIRE_SLURM=1, fails) without
// a Slurm controller, and returns a directory the Slurm daemons can read
// holding exe, a wrapper that re-runs this test binary as the CLI (what
// the array tasks execute).
func slurmWorkDir(t *testing.T) (work, exe string) {
	t.Helper()
	if exec.Command("scontrol", "ping").Run() != nil {
		if os.Getenv("CIRCUITRY_REQUIRE_SLURM") == "1" {
			t.Fatal("Slurm is required but `scontrol ping` fails; run .ci/slurm-setup.sh")
		}
		t.Skip("no Slurm controller (run .ci/slurm-setup.sh as root)")
	}
	work = t.TempDir()
	os.Chmod(work, 0o755)
	exe = filepath.Join(work, "circuitry")
	os.WriteFile(exe, []byte("#!/bin/sh\nCIRCUITRY_TEST_MAIN=1 exec "+os.Args[0]+" \"$@\"\n"), 0o755)
	return work, exe
}

// taskLogs concatenates the Slurm task logs in dir, for failure messages.
func taskLogs(dir string) string {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.out"))
	var b strings.Builder
	for _, l := range logs {
		d, _ := os.ReadFile(l)
		b.Write(d)
	}
	return b.String()
}

func TestSweepLocalAndBadInput(t *testing.T) {
	work := t.TempDir()
	spec := writeSweep(t, work, "grid:\n  train.lr: [0.001, 0.003]\nseeds: [1, 2]\n")
	stdout, stderr, code := runCLI(t, work, "sweep", spec, "--workers", "2", "--data", "embedded")
	if code != 0 || !strings.Contains(stdout, "4 of 4 points finished") || !strings.Contains(stdout, "train.lr=0.003 | 2 |") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	browser.CheckPage(t, filepath.Join(work, "runs", "sw", "report.html"), "sweep-report", 1, "train.lr=0.003", "Per setting")
	// Re-running skips every finished point.
	before, _ := os.Stat(filepath.Join(work, "runs", "sw", "runs", "p0000", "summary.json"))
	runCLI(t, work, "sweep", spec, "--data", "embedded")
	after, _ := os.Stat(filepath.Join(work, "runs", "sw", "runs", "p0000", "summary.json"))
	if !before.ModTime().Equal(after.ModTime()) {
		t.Fatal("a finished point was run again")
	}
	// results.csv has a column per swept key, values pandas reads as numbers.
	csvb, _ := os.ReadFile(filepath.Join(work, "runs", "sw", "results.csv"))
	if lines := strings.Split(string(csvb), "\n"); lines[0] != "point,seed,train.lr,final_test_acc,clean_test_acc,epochs" || !strings.HasPrefix(lines[1], "p0000,1,0.001,") {
		t.Fatalf("results.csv:\n%s", csvb)
	}
	// --set reaches every point's config.
	setWork := t.TempDir()
	setSpec := writeSweep(t, setWork, "grid:\n  train.lr: [0.001]\n")
	if _, stderr, code := runCLI(t, setWork, "sweep", setSpec, "--data", "embedded", "--set", "model.hidden=[8]"); code != 0 {
		t.Fatal(stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(setWork, "runs", "sw", "runs", "p0000", "config.yaml")); !strings.Contains(string(b), "- 8") && !strings.Contains(string(b), "[8]") {
		t.Fatalf("--set not applied:\n%s", b)
	}
	cases := []errorCase{
		{[]string{"sweep", spec, "--set", "train.lr=0.1"}, "--set train.lr=0.1: train.lr is set per point by the sweep"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lrr: [0.1]\n")}, `unknown key "train.lrr"`},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid: {}\n")}, "grid is empty"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: []\n")}, "grid.train.lr has no values"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: [-1]\n")}, "train.lr = -1"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: [0.1]\nworkerz: 2\n")}, `unknown key "workerz"`},
		{[]string{"sweep", spec, "--workers", "0"}, "--workers 0: want 1 to 1024"},
		{[]string{"sweep", spec, "--workers", "20000000"}, "--workers 20000000: want 1 to 1024"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]\n  train.batch_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n  train.epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n  train.momentum: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]\n  seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n")}, "more than 100000 points"},
		{[]string{"train", "/dev/zero"}, "not a regular file"},
		{[]string{"train", filepath.Join(work, "base.yaml"), "--set", "model.hidden=[65536, 65536, 65536]"}, "parameters; at most 50000000"},
		{[]string{"report", work}, "not a sweep directory"},
	}
	// Names stay inside the run tree; Slurm values cannot inject lines.
	dotdot := t.TempDir()
	sp := writeSweep(t, dotdot, "grid:\n  train.lr: [0.1]\n")
	b, _ := os.ReadFile(sp)
	os.WriteFile(sp, []byte(strings.Replace(string(b), "sweep: sw", "sweep: ..", 1)), 0o644)
	nl := t.TempDir()
	sp2 := writeSweep(t, nl, "grid:\n  train.lr: [0.1]\nslurm: {time: \"01:00:00\\nrm -rf x\"}\n")
	cases = append(cases,
		errorCase{[]string{"sweep", sp}, `sweep = "..": want a directory name without slashes (not . or ..)`},
		errorCase{[]string{"sweep", sp2}, "slurm.time"},
		errorCase{[]string{"analyze", work, "--name", ".."}, `--name "..": want a directory name`})
	expectOneLineErrors(t, work, cases)
}

// TestSweepOnSlurm submits a job array to a real Slurm (started by
// .ci/slurm-setup.sh), waits for it and checks every point was merged.
// CIRCUITRY_REQUIRE_SLURM=1 turns a missing Slurm into a failure.
func TestSweepOnSlurm(t *testing.T) {
	work, exe := slurmWorkDir(t)
	spec := writeSweep(t, work, "grid:\n  train.lr: [0.001, 0.002, 0.003]\nseeds: [1]\nslurm: {cpus_per_task: 1, time: \"00:10:00\", mem: 500M}\n")
	cmd := exec.Command(exe, "sweep", spec, "--slurm", "--submit", "--data", "embedded")
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "submitted job") {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	script, _ := os.ReadFile(filepath.Join(work, "runs", "sw", "slurm.sh"))
	if !strings.Contains(string(script), "#SBATCH --array=0-2") {
		t.Fatalf("script:\n%s", script)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		stdout, _, _ := runCLI(t, work, "report", filepath.Join(work, "runs", "sw"))
		if strings.Contains(stdout, "3 of 3 points finished") {
			for _, lr := range []string{"0.001", "0.002", "0.003"} {
				if !strings.Contains(stdout, "train.lr="+lr+" | 1 |") {
					t.Fatalf("report lacks lr %s:\n%s", lr, stdout)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("array did not finish:\n%s\n%s", stdout, taskLogs(filepath.Join(work, "runs", "sw", "slurm")))
		}
		time.Sleep(2 * time.Second)
	}
}

// tinyInhibitory shrinks the study-1 quick preset to two one-epoch runs
// on 600 images.
var tinyInhibitory = []string{"--set", "hparams=[0]", "--set", "conditions=[ei,inorm_full]", "--set", "eps=[0.75]",
	"--set", "epochs=1", "--set", "train_limit=600", "--set", "align_every=0"}

func TestReproducePointAndBadInput(t *testing.T) {
	work := t.TempDir()
	args := append([]string{"reproduce", "inhibitory-normalization", "--data", "embedded", "--out", "runs"}, tinyInhibitory...)
	if _, stderr, code := runCLI(t, work, append(args, "--point", "1")...); code != 0 ||
		!regexp.MustCompile(`result \S*inorm_full_eps0.75_hp00_r0: finished=true final_test_acc=0\.\d+ clean_test_acc=`).MatchString(stderr) {
		t.Fatalf("--point 1: exit %d, no result line\n%s", code, stderr)
	}
	run := filepath.Join(work, "runs", "inhibitory-normalization-quick", "runs", "inorm_full_eps0.75_hp00_r0", "summary.json")
	if _, err := os.Stat(run); err != nil {
		t.Fatalf("--point 1 did not finish its run: %v", err)
	}
	// The full command finds point 1 finished and runs only point 0.
	stdout, stderr, code := runCLI(t, work, args...)
	if code != 0 || !strings.Contains(stdout, "verdicts") || !strings.Contains(stderr, "1 finished earlier") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	cases := []errorCase{
		{append(args[:len(args):len(args)], "--point", "2"), "--point 2: inhibitory-normalization at quick scale has points 0 to 1"},
		{[]string{"reproduce", "offline-reactivation", "--point", "0", "--scale", "huge"}, `--scale "huge": offline-reactivation has the scales demo, quick, paper`},
		{[]string{"reproduce", "inhibitory-normalisation", "--point", "0"}, `unknown study "inhibitory-normalisation"`},
		{[]string{"reproduce", "offline-reactivation", "--slurm", "--slurm-cpus", "0"}, "--slurm-cpus 0: want >= 1"},
	}
	expectOneLineErrors(t, work, cases)
}

// TestReproduceOnSlurm runs a tiny study 1 as a Slurm job array followed
// by the dependent verdict job, and waits for the verdicts.
func TestReproduceOnSlurm(t *testing.T) {
	work, exe := slurmWorkDir(t)
	args := append([]string{"reproduce", "inhibitory-normalization", "--data", "embedded", "--out", "runs",
		"--slurm", "--submit", "--slurm-cpus", "1", "--slurm-mem", "500M", "--slurm-time", "00:10:00"}, tinyInhibitory...)
	cmd := exec.Command(exe, args...)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "(verdicts,") {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	planDir := filepath.Join(work, "runs", "inhibitory-normalization-quick-slurm")
	script, _ := os.ReadFile(filepath.Join(planDir, "slurm.sh"))
	if !strings.Contains(string(script), "#SBATCH --array=0-1") || !strings.Contains(string(script), "'--set' 'eps=[0.75]'") {
		t.Fatalf("script:\n%s", script)
	}
	verdicts := filepath.Join(work, "runs", "inhibitory-normalization-quick", "verdicts.md")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if b, err := os.ReadFile(verdicts); err == nil {
			if !strings.Contains(string(b), "| # | claim | measured | threshold | verdict |") {
				t.Fatalf("verdicts.md without a table:\n%s", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verdicts after 3 minutes; task logs:\n%s", taskLogs(filepath.Join(planDir, "slurm")))
		}
		time.Sleep(2 * time.Second)
	}
}
