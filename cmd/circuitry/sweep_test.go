package main

import (
	"os"
	"os/exec"
	"path/filepath"
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

func TestSweepLocalAndBadInput(t *testing.T) {
	work := t.TempDir()
	spec := writeSweep(t, work, "grid:\n  train.lr: [0.001, 0.003]\nseeds: [1, 2]\n")
	stdout, stderr, code := runCLI(t, work, "sweep", spec, "--workers", "2", "--data", "embedded")
	if code != 0 || !strings.Contains(stdout, "4 of 4 points finished") || !strings.Contains(stdout, "train.lr=0.003 | 2 |") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Re-running skips every finished point.
	before, _ := os.Stat(filepath.Join(work, "runs", "sw", "runs", "p0000", "summary.json"))
	runCLI(t, work, "sweep", spec, "--data", "embedded")
	after, _ := os.Stat(filepath.Join(work, "runs", "sw", "runs", "p0000", "summary.json"))
	if !before.ModTime().Equal(after.ModTime()) {
		t.Fatal("a finished point was run again")
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lrr: [0.1]\n")}, `unknown key "train.lrr"`},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid: {}\n")}, "grid is empty"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: []\n")}, "grid.train.lr has no values"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: [-1]\n")}, "train.lr = -1"},
		{[]string{"sweep", writeSweep(t, t.TempDir(), "grid:\n  train.lr: [0.1]\nworkerz: 2\n")}, `unknown key "workerz"`},
		{[]string{"sweep", spec, "--workers", "0"}, "--workers 0: want >= 1"},
		{[]string{"report", work}, "not a sweep directory"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, work, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// TestSweepOnSlurm submits a job array to a real Slurm (started by
// .ci/slurm-setup.sh), waits for it and checks every point was merged.
// CIRCUITRY_REQUIRE_SLURM=1 turns a missing Slurm into a failure.
func TestSweepOnSlurm(t *testing.T) {
	if exec.Command("scontrol", "ping").Run() != nil {
		if os.Getenv("CIRCUITRY_REQUIRE_SLURM") == "1" {
			t.Fatal("Slurm is required but `scontrol ping` fails; run .ci/slurm-setup.sh")
		}
		t.Skip("no Slurm controller (run .ci/slurm-setup.sh as root)")
	}
	work := t.TempDir()
	os.Chmod(work, 0o755)
	spec := writeSweep(t, work, "grid:\n  train.lr: [0.001, 0.002, 0.003]\nseeds: [1]\nslurm: {cpus_per_task: 1, time: \"00:10:00\", mem: 500M}\n")
	// Array tasks re-run this test binary as the CLI.
	exe := filepath.Join(work, "circuitry")
	os.WriteFile(exe, []byte("#!/bin/sh\nCIRCUITRY_TEST_MAIN=1 exec "+os.Args[0]+" \"$@\"\n"), 0o755)
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
			logs, _ := filepath.Glob(filepath.Join(work, "runs", "sw", "slurm", "*.out"))
			var b strings.Builder
			for _, l := range logs {
				d, _ := os.ReadFile(l)
				b.Write(d)
			}
			t.Fatalf("array did not finish:\n%s\n%s", stdout, b.String())
		}
		time.Sleep(2 * time.Second)
	}
}
