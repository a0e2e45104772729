// Package scripts tests the shell scripts that keep the long runs going and
// judge them (docs/results/scripts). They copy, bundle and delete files
// under runs/ and results/, so each test runs them on a throwaway tree and
// checks what they keep, what they refuse and what they hand to circuitry.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tree makes a repository root holding a copy of these scripts, as the
// scripts expect to find themselves (docs/results/scripts under the root).
func tree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "docs", "results", "scripts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Glob("*.sh")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// run runs a bash command line in dir with extra environment entries and
// returns its combined output and whether it exited 0.
func run(t *testing.T, dir string, env []string, line string) (string, bool) {
	t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("%s: %v", line, err)
	}
	return string(out), err == nil
}

// write creates path (and its parents) under root with content.
func write(t *testing.T, root, path, content string) {
	t.Helper()
	p := filepath.Join(root, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(root, path string) bool {
	_, err := os.Stat(filepath.Join(root, path))
	return err == nil
}

func read(t *testing.T, root, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runDir writes a run directory as circuitry leaves it: finished or not,
// at analysisVersion, with the given weights bytes and a checkpoint when
// unfinished.
func runDir(t *testing.T, root, dir string, finished bool, analysisVersion, weights string) {
	t.Helper()
	state := "false"
	if finished {
		state = "true"
	}
	write(t, root, dir+"/run.json", "{\n  \"analysis_version\": "+analysisVersion+",\n  \"finished\": "+state+"\n}\n")
	write(t, root, dir+"/config.yaml", "train:\n    steps: 2500\nquiescence:\n    steps: 1000\n")
	write(t, root, dir+"/metrics.jsonl", "{\"step\":50}\n{\"step\":100}\n")
	if finished {
		write(t, root, dir+"/summary.json", "{}\n")
		write(t, root, dir+"/weights.safetensors", weights)
		write(t, root, dir+"/arrays/a.npy", "npy")
	} else {
		write(t, root, dir+"/checkpoints/checkpoint.bin", "ckpt")
	}
}

// fresh_out empties only what a judge script made, or an empty directory:
// a mistyped OUT (runs/, results/) is refused with its files untouched.
func TestFreshOutRefusesDirectoriesItDidNotMake(t *testing.T) {
	root := tree(t)
	fresh := func(out string) (string, bool) {
		return run(t, root, nil, ". docs/results/scripts/judge-out.sh; fresh_out "+out)
	}
	if out, ok := fresh("new/out"); !ok || !exists(root, "new/out/.circuitry-judge-dir") {
		t.Fatalf("a new directory: ok %v, %s", ok, out)
	}
	write(t, root, "new/out/old-verdicts.md", "x")
	if out, ok := fresh("new/out"); !ok || exists(root, "new/out/old-verdicts.md") {
		t.Fatalf("a judge directory was not emptied: ok %v, %s", ok, out)
	}
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, ok := fresh("empty"); !ok {
		t.Fatalf("an empty directory was refused: %s", out)
	}
	write(t, root, "results/precious.json", "keep")
	out, ok := fresh("results")
	if ok || !strings.Contains(out, "was not made by a judge script") || read(t, root, "results/precious.json") != "keep" {
		t.Fatalf("results/ was not refused intact: ok %v, %s", ok, out)
	}
}

// bundle.sh copies finished runs' records only (weights with --weights),
// and the study's tables unless --runs-only.
func TestBundleCopiesFinishedRecords(t *testing.T) {
	root := tree(t)
	runDir(t, root, "src/runs/a", true, "7", "W")
	runDir(t, root, "src/runs/b", false, "7", "")
	write(t, root, "src/comparison.md", "table")
	out, ok := run(t, root, nil, "docs/results/scripts/bundle.sh src dst --runs-only")
	if !ok || !strings.Contains(out, "1 finished runs bundled") {
		t.Fatalf("bundle: ok %v, %s", ok, out)
	}
	for path, want := range map[string]bool{
		"dst/runs/a/run.json": true, "dst/runs/a/summary.json": true, "dst/runs/a/arrays/a.npy": true,
		"dst/runs/a/weights.safetensors": false, "dst/runs/b": false, "dst/comparison.md": false,
	} {
		if exists(root, path) != want {
			t.Errorf("%s: exists %v, want %v", path, !want, want)
		}
	}
	if out, ok := run(t, root, nil, "docs/results/scripts/bundle.sh src dst2 --weights"); !ok ||
		!exists(root, "dst2/runs/a/weights.safetensors") || !exists(root, "dst2/comparison.md") {
		t.Fatalf("--weights with tables: ok %v, %s", ok, out)
	}
	if out, ok := run(t, root, nil, "docs/results/scripts/bundle.sh src dst3 --weight"); ok || !strings.Contains(out, "unknown option --weight") {
		t.Fatalf("a misspelt option was accepted: %s", out)
	}
	if out, ok := run(t, root, nil, "docs/results/scripts/bundle.sh nowhere dst4"); ok || exists(root, "dst4") {
		t.Fatalf("a missing source was accepted: %s", out)
	}
}

// long-runs.sh save bundles study 2's finished networks with their
// weights and unfinished ones with their checkpoint, never replacing a
// bundle that holds the same weights analysed at a later version; study
// 1's runs go without the tables of whichever block ran last.
func TestLongRunsSaveKeepsLaterAnalyses(t *testing.T) {
	root := tree(t)
	const s2 = "runs/paper-s/offline-reactivation-spatial-paper/runs/"
	const r2 = "results/offline-reactivation-paper/offline-reactivation-spatial-paper/runs/"
	const r2p = "results/offline-reactivation-paper-inprogress/offline-reactivation-spatial-paper/runs/"
	runDir(t, root, s2+"noisy_s0", true, "5", "W0")
	runDir(t, root, r2+"noisy_s0", true, "7", "W0") // re-analysed elsewhere: keep
	runDir(t, root, s2+"noisy_s1", true, "7", "W1")
	runDir(t, root, r2+"noisy_s1", true, "7", "OLD") // other weights: replace
	runDir(t, root, r2p+"noisy_s1", false, "7", "")
	runDir(t, root, s2+"noisy_s2", false, "7", "")
	runDir(t, root, "runs/long/inhibitory-normalization-long/runs/ei_eps0_hp00_r0", true, "0", "")
	write(t, root, "runs/long/inhibitory-normalization-long/comparison.md", "partial block")
	if out, ok := run(t, root, nil, "docs/results/scripts/long-runs.sh save"); !ok {
		t.Fatalf("save: %s", out)
	}
	if !strings.Contains(read(t, root, r2+"noisy_s0/run.json"), `"analysis_version": 7`) {
		t.Error("a later analysis of the same weights was overwritten by the older records")
	}
	if read(t, root, r2+"noisy_s1/weights.safetensors") != "W1" || exists(root, r2p+"noisy_s1") {
		t.Error("a finished network did not replace its older bundle and its in-progress checkpoint")
	}
	if !exists(root, r2p+"noisy_s2/checkpoints/checkpoint.bin") || exists(root, r2+"noisy_s2") {
		t.Error("an unfinished network was not bundled with its checkpoint alone")
	}
	r1 := "results/inhibitory-normalization-long/inhibitory-normalization-long/"
	if !exists(root, r1+"runs/ei_eps0_hp00_r0/run.json") || exists(root, r1+"comparison.md") {
		t.Error("study 1: want its finished runs without the running block's tables")
	}
}

// long-runs.sh status counts study 1's runs per block from the bundles
// when runs/ is absent, and says where each study-2 network stands.
func TestLongRunsStatusFromBundles(t *testing.T) {
	root := tree(t)
	const r1 = "results/inhibitory-normalization-long/inhibitory-normalization-long/runs/"
	for _, c := range []string{"e_ln", "ei", "ei_ln"} {
		for _, e := range []string{"0", "0.75"} {
			runDir(t, root, r1+c+"_eps"+e+"_hp00_r0", true, "0", "")
		}
	}
	runDir(t, root, r1+"ei_eps0_hp01_r0", true, "0", "")
	const r2 = "results/offline-reactivation-paper/offline-reactivation-spatial-paper/runs/"
	runDir(t, root, r2+"noisy_s3", true, "7", "W")
	runDir(t, root, "results/offline-reactivation-paper-inprogress/offline-reactivation-spatial-paper/runs/noisy_biased_s3", false, "7", "")
	write(t, root, "runs/study1-queue.log", "== block iii\nstudy (9 to run) 1/9 (11%) ei_r0 88.64% (41s) eta 6m53s\nstudy (9 to run) 2/9 (22%) ei_r1 80.00% (40s) eta 6m1s\nresults in long\n")
	write(t, root, "runs/study2-headdir-queue.log", "hd (4 to run) 100/80000 (0%) noisy_s4 step 100: loss 0.1 err 0.2 eta 9h\n")
	out, ok := run(t, root, nil, "docs/results/scripts/long-runs.sh status")
	if !ok {
		t.Fatalf("status: %s", out)
	}
	for _, want := range []string{
		"; last progress: study (9 to run) 2/9 (22%) ei_r1 80.00% (40s) eta 6m1s\n",
		"study1-queue.sh: not running; last progress",
		"study2-queue.sh headdir (the second lane): not running; last progress: hd (4 to run) 100/80000 (0%) noisy_s4 step 100: loss 0.1 err 0.2 eta 9h\n",
		"block iii  (e_ln, ei, ei_ln)                          7/180 runs finished, 1/30 configurations complete",
		"block i    (e_ln, inorm, inorm_full)                  2/180 runs finished, 0/30 configurations complete",
		"spatial  seed 3: noisy: finished; noisy_biased: step 100/2500; nonoise: -; nonoise_biased: -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// Once every block is done the queue's last progress line is stale:
	// its core went on to the head-direction lane.
	write(t, root, "runs/study1-queue.log", read(t, root, "runs/study1-queue.log")+"== 2026-12-08T01:53:05Z every block done: this core now trains study 2's head-direction seeds\n")
	if out, _ := run(t, root, nil, "docs/results/scripts/long-runs.sh status"); !strings.Contains(out, "study1-queue.sh: every block done; its core went on to the head-direction lane\n") ||
		strings.Contains(out, "ei_r1 80.00%") {
		t.Errorf("status after every block:\n%s", out)
	}
}

// status reads the head-direction lane as running only while its pid file
// names a live process running study2-queue.sh (lanes.sh's headdir_lane,
// which the queue itself uses): a stale file or a reused pid is not.
func TestLongRunsStatusSeesTheHeadDirectionLane(t *testing.T) {
	root := tree(t)
	write(t, root, "runs/study2-headdir-queue.log", "hd (4 to run) 100/80000 (0%) noisy_s4 step 100: loss 0.1 err 0.2 eta 9h\n")
	lane := func(args ...string) string {
		cmd := exec.Command("bash", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return strconv.Itoa(cmd.Process.Pid)
	}
	for _, c := range []struct {
		name, pid, want string
	}{
		{"the lane", lane("-c", "sleep 60; :", "docs/results/scripts/study2-queue.sh"), "running"},
		{"another process", lane("-c", "sleep 60; :"), "not running"},
		{"no process", "999999999", "not running"},
	} {
		write(t, root, "runs/study2-headdir-lane.pid", c.pid+"\n")
		out, _ := run(t, root, nil, "docs/results/scripts/long-runs.sh status")
		if want := "study2-queue.sh headdir (the second lane): " + c.want + "; last progress"; !strings.Contains(out, want) {
			t.Errorf("%s: status lacks %q:\n%s", c.name, want, out)
		}
	}
}

// resume refuses, naming the package, on a machine without the data
// study 1's runs were trained on (reuse would rightly be refused later).
func TestLongRunsResumeNeedsTheData(t *testing.T) {
	root := tree(t)
	out, ok := run(t, root, []string{"CIRCUITRY_DATA=" + filepath.Join(root, "no-data")}, "docs/results/scripts/long-runs.sh resume")
	if ok || !strings.Contains(out, "apt-get install -y dataset-fashion-mnist") || exists(root, "runs") {
		t.Fatalf("resume without data: ok %v, %s", ok, out)
	}
}

// stub writes a stand-in for circuitry that records its arguments.
func stub(t *testing.T, root string) string {
	t.Helper()
	write(t, root, "bin/circuitry", "#!/bin/bash\necho \"circuitry $*\"\n")
	p := filepath.Join(root, "bin/circuitry")
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// judge-long.sh judges exactly the configurations whose every run has
// finished, on a copy, and leaves the running study alone.
func TestJudgeLongTakesCompleteConfigurations(t *testing.T) {
	root := tree(t)
	const src = "runs/long/inhibitory-normalization-long/runs/"
	for _, hp := range []string{"00", "02", "11"} {
		for _, c := range []string{"e_ln", "ei"} {
			for _, e := range []string{"0", "0.75"} {
				runDir(t, root, src+c+"_eps"+e+"_hp"+hp+"_r0", true, "0", "")
			}
		}
	}
	runDir(t, root, src+"ei_eps0.75_hp02_r0", false, "0", "") // configuration 2 incomplete
	env := []string{"CIRCUITRY=" + stub(t, root)}
	out, ok := run(t, root, env,
		"docs/results/scripts/judge-long.sh runs/long/inhibitory-normalization-long judged 'e_ln ei'")
	if !ok {
		t.Fatalf("judge-long: %s", out)
	}
	want := "--set conditions=[e_ln, ei] --set hparams=[0,11]"
	if !strings.Contains(out, "judging 2 complete configurations: 0,11") || !strings.Contains(out, want) {
		t.Errorf("want configurations 0 and 11 and %q:\n%s", want, out)
	}
	if !exists(root, "judged/inhibitory-normalization-long/runs/ei_eps0.75_hp11_r0/run.json") ||
		exists(root, "judged/inhibitory-normalization-long/runs/ei_eps0_hp02_r0") {
		t.Error("the copy holds the wrong runs")
	}
	if out, ok := run(t, root, env,
		"docs/results/scripts/judge-long.sh runs/long/inhibitory-normalization-long runs 'e_ln ei'"); ok || !exists(root, src) {
		t.Fatalf("OUT=runs was not refused: %s", out)
	}
}

// judge-seeds.sh judges exactly the seeds whose every network has
// finished, without their checkpoints or locks.
func TestJudgeSeedsTakesCompleteSeeds(t *testing.T) {
	root := tree(t)
	const src = "runs/paper-hd/offline-reactivation-headdir-paper/runs/"
	for _, s := range []string{"0", "2", "3"} {
		for _, c := range []string{"noisy", "noisy_biased", "nonoise", "nonoise_biased"} {
			runDir(t, root, src+c+"_s"+s, s != "3" || c != "nonoise_biased", "7", "W")
		}
	}
	write(t, root, src+"noisy_s0/.lock", "")
	write(t, root, src+"noisy_s0/checkpoints/checkpoint.bin", "ckpt")
	out, ok := run(t, root, []string{"CIRCUITRY=" + stub(t, root)},
		"docs/results/scripts/judge-seeds.sh runs/paper-hd/offline-reactivation-headdir-paper judged")
	if !ok {
		t.Fatalf("judge-seeds: %s", out)
	}
	if !strings.Contains(out, "--set seeds=[0, 2] --set conditions=[noisy, noisy_biased, nonoise, nonoise_biased]") {
		t.Errorf("want seeds 0 and 2:\n%s", out)
	}
	dst := "judged/offline-reactivation-headdir-paper/runs/"
	if !exists(root, dst+"nonoise_biased_s2/weights.safetensors") || exists(root, dst+"noisy_s3") ||
		exists(root, dst+"noisy_s0/.lock") || exists(root, dst+"noisy_s0/checkpoints") {
		t.Error("the copy holds the wrong networks or files")
	}
}

// With JUDGED, judge-seeds.sh takes a network from the earlier judgement
// only when its weights and config there equal the running study's, so
// an analysed copy is reused and a network trained since is not.
func TestJudgeSeedsReusesAnEarlierJudgement(t *testing.T) {
	root := tree(t)
	const src = "runs/paper-s/offline-reactivation-spatial-paper/runs/"
	const prior = "before/offline-reactivation-spatial-paper/runs/"
	for _, c := range []string{"noisy", "noisy_biased", "nonoise", "nonoise_biased"} {
		runDir(t, root, src+c+"_s0", true, "7", "W-"+c)
		if err := os.RemoveAll(filepath.Join(root, src+c+"_s0", "arrays")); err != nil { // restored from a bundle
			t.Fatal(err)
		}
		runDir(t, root, prior+c+"_s0", true, "7", "W-"+c)
		write(t, root, prior+c+"_s0/arrays/analysed.npy", "npy")
	}
	write(t, root, prior+"nonoise_s0/weights.safetensors", "other weights") // not the same network
	write(t, root, prior+"noisy_biased_s0/config.yaml", "train:\n    steps: 10\n")
	write(t, root, "before/.circuitry-judge-dir", "")
	env := []string{"CIRCUITRY=" + stub(t, root), "JUDGED=before"}
	out, ok := run(t, root, env, "docs/results/scripts/judge-seeds.sh runs/paper-s/offline-reactivation-spatial-paper judged")
	if !ok {
		t.Fatalf("judge-seeds: %s", out)
	}
	if !strings.Contains(out, "already analysed: 2 networks (noisy_s0 nonoise_biased_s0)") {
		t.Errorf("want noisy_s0 and nonoise_biased_s0 from the earlier judgement:\n%s", out)
	}
	dst := "judged/offline-reactivation-spatial-paper/runs/"
	for c, reused := range map[string]bool{"noisy": true, "noisy_biased": false, "nonoise": false, "nonoise_biased": true} {
		if got := exists(root, dst+c+"_s0/arrays/analysed.npy"); got != reused {
			t.Errorf("%s_s0: taken from the earlier judgement: %v, want %v", c, got, reused)
		}
		if read(t, root, dst+c+"_s0/weights.safetensors") != "W-"+c {
			t.Errorf("%s_s0: weights not the running study's", c)
		}
	}
	if out, ok := run(t, root, []string{"CIRCUITRY=" + stub(t, root), "JUDGED=judged"},
		"docs/results/scripts/judge-seeds.sh runs/paper-s/offline-reactivation-spatial-paper judged"); ok || !exists(root, dst+"noisy_s0") {
		t.Errorf("JUDGED = OUT was not refused: %s", out)
	}
}
