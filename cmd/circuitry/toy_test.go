package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/internal/runtest"
	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/runlist"
	"github.com/circuitry-lab/circuitry/study"
)

// testStudies is the registry of the test binary's CLI: the built-in
// studies plus toy, a third study defined here and registered with one
// line, to show that run, reproduce (--point, --slurm), resume and serve
// need no other edit for a new study.
func testStudies() *experiment.Registry {
	r := study.Builtin()
	if err := r.Register(toyKind()); err != nil {
		panic(err)
	}
	return r
}

// toyConfig is the toy study: one point per value; a point counts to
// value*steps in steps, one checkpoint a step.
type toyConfig struct {
	Study  string               `yaml:"study"`
	Name   string               `yaml:"name"`
	Values []int                `yaml:"values"`
	Steps  int                  `yaml:"steps"`
	Out    experiment.OutConfig `yaml:"out"`
}

type toyStudy struct{ cfg toyConfig }

type toyResult struct{ sums []int }

func (r toyResult) Markdown() string { return fmt.Sprintf("toy sums %v\n", r.sums) }

func toyKind() experiment.Kind {
	parse := func(data []byte, sets []string) (experiment.Study, error) {
		c := toyConfig{Study: "toy", Name: "toy", Values: []int{1, 2, 3}, Steps: 2, Out: experiment.OutConfig{Dir: "runs"}}
		if err := experiment.DecodeStrict(data, sets, &c); err != nil {
			return nil, err
		}
		if c.Steps < 1 {
			return nil, fmt.Errorf("steps = %d: want >= 1", c.Steps)
		}
		return &toyStudy{c}, nil
	}
	return experiment.Kind{
		Name:   "toy",
		Scales: []string{"quick", "paper"},
		Parse:  parse,
		Plan: func(_ fs.FS, scale string, sets []string) (*experiment.Plan, error) {
			st, err := parse([]byte("study: toy\n"), sets)
			if err != nil {
				return nil, err
			}
			return &experiment.Plan{Title: "Toy", Studies: []experiment.Study{st},
				Verdicts: func(_ context.Context, rs []experiment.Result, _ experiment.Env) ([]experiment.VerdictSet, error) {
					sums := rs[0].(toyResult).sums
					return []experiment.VerdictSet{{Title: "The study's checks", Verdicts: []experiment.Verdict{
						experiment.NewVerdict(1, "points count to value x steps", fmt.Sprint(sums), "2, 4, 6", fmt.Sprint(sums) == "[2 4 6]")}}}, nil
				}}, nil
		},
		ResumePoint: func(ctx context.Context, dir string, env experiment.Env) (string, error) {
			data, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
			if err != nil {
				return "", err
			}
			st, err := parse(data, []string{"out.dir=" + filepath.Dir(filepath.Dir(filepath.Dir(dir))), "name=" + filepath.Base(filepath.Dir(filepath.Dir(dir)))})
			if err != nil {
				return "", err
			}
			t := st.(*toyStudy)
			v, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "v"))
			return fmt.Sprintf("%s: resumed, sum %d", dir, t.count(dir, v, env)), nil
		},
	}
}

func (s *toyStudy) Name() string  { return s.cfg.Name }
func (s *toyStudy) Dir() string   { return filepath.Join(s.cfg.Out.Dir, s.cfg.Name) }
func (s *toyStudy) Workers() int  { return 1 }
func (s *toyStudy) Units(int) int { return s.cfg.Steps }

// spec is a point's identity: the study config reduced to its value.
func (s *toyStudy) spec(v int) experiment.RunSpec {
	c := s.cfg
	c.Values = []int{v}
	return experiment.RunSpec{Kind: "toy", Config: experiment.ToYAML(c), Neutral: []string{"name", "out.dir"}}
}

func (s *toyStudy) Points() ([]experiment.Point, error) {
	var pts []experiment.Point
	for _, v := range s.cfg.Values {
		name := fmt.Sprintf("v%d", v)
		pts = append(pts, experiment.Point{Name: name, Dir: filepath.Join(s.Dir(), "runs", name), Spec: s.spec(v), Checkpoint: experiment.CheckpointPath})
	}
	return pts, nil
}

func (s *toyStudy) Open(experiment.Env) error {
	if err := os.MkdirAll(s.Dir(), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.Dir(), "study.yaml"), experiment.ToYAML(s.cfg))
}

func (s *toyStudy) RunPoint(_ context.Context, i int, env experiment.Env) error {
	pts, _ := s.Points()
	s.count(pts[i].Dir, s.cfg.Values[i], env)
	return nil
}

// count runs dir through the engine's lifecycle (toyRun) and returns its
// sum, -1 after an error (logged).
func (s *toyStudy) count(dir string, v int, env experiment.Env) int {
	sum, _, err := experiment.Execute(context.Background(), dir, s.spec(v), experiment.ExecuteOptions{Force: env.Force}, toyRun{s: s, v: v, env: env})
	if err != nil {
		fmt.Fprintln(env.Log, err)
		return -1
	}
	return sum
}

// toyRun is one toy point's part of the run lifecycle: it counts from its
// checkpoint (a text file, if resuming) to v*steps.
type toyRun struct {
	s   *toyStudy
	v   int
	env experiment.Env
}

func (t toyRun) Reuse(run *experiment.RunDir) (int, error) {
	var m map[string]int
	b, err := os.ReadFile(filepath.Join(run.Path, "summary.json"))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	return m["sum"], err
}

func (t toyRun) Reanalyse(run *experiment.RunDir) (int, error) { return t.Reuse(run) }

func (t toyRun) Train(_ context.Context, run *experiment.RunDir, resume bool) (int, error) {
	sum, step := 0, 0
	if resume {
		b, _ := os.ReadFile(filepath.Join(run.Path, experiment.CheckpointPath))
		fmt.Sscan(string(b), &step, &sum)
	}
	os.MkdirAll(filepath.Join(run.Path, filepath.Dir(experiment.CheckpointPath)), 0o755)
	for ; step < t.s.cfg.Steps; step++ {
		sum += t.v
		run.WriteFile(experiment.CheckpointPath, fmt.Appendf(nil, "%d %d", step+1, sum))
		t.env.Progress.Add(1, "")
	}
	if err := run.WriteJSON("summary.json", map[string]int{"sum": sum}); err != nil {
		return 0, err
	}
	return sum, run.MarkFinished()
}

func (s *toyStudy) Finish(context.Context, experiment.Env) (experiment.Result, error) {
	pts, _ := s.Points()
	var res toyResult
	for _, p := range pts {
		var m map[string]int
		b, err := os.ReadFile(filepath.Join(p.Dir, "summary.json"))
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			return nil, err
		}
		res.sums = append(res.sums, m["sum"])
	}
	page, err := report.HTML("toy", res.Markdown(), s.Dir())
	if err != nil {
		return nil, err
	}
	os.WriteFile(filepath.Join(s.Dir(), "report.md"), []byte(res.Markdown()), 0o644)
	return res, fsutil.WriteFileAtomic(filepath.Join(s.Dir(), "report.html"), page)
}

// TestThirdStudyNeedsNoOtherEdit drives the toy study through the CLI.
func TestThirdStudyNeedsNoOtherEdit(t *testing.T) {
	work := t.TempDir()
	cfg := filepath.Join(work, "toy.yaml")
	os.WriteFile(cfg, []byte("study: toy\nname: t\nvalues: [1, 2, 3]\nsteps: 2\n"), 0o644)
	out, stderr, code := runCLI(t, work, "run", cfg)
	if code != 0 || !strings.Contains(out, "toy sums [2 4 6]") || !strings.Contains(stderr, "t: 3 points, 0 finished earlier, 3 to run") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, stderr)
	}
	if _, stderr, _ := runCLI(t, work, "run", cfg); !strings.Contains(stderr, "3 finished earlier, 0 to run") {
		t.Fatalf("re-run: %s", stderr)
	}
	if _, stderr, code := runCLI(t, work, "run", cfg, "--set", "steps=3"); code == 0 || !strings.Contains(stderr, "runs/t/runs/v1: finished with steps=2, the config now says steps=3") {
		t.Fatalf("changed config: exit %d %s", code, stderr)
	}
	// reproduce --point runs one point; --slurm writes the array.
	if _, stderr, code := runCLI(t, work, "reproduce", "toy", "--out", "r", "--point", "1"); code != 0 {
		t.Fatalf("--point: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "r", "toy", "runs", "v2", "summary.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(work, "r", "toy", "runs", "v1")); err == nil {
		t.Fatal("--point 1 ran point 0 too")
	}
	if out, stderr, code := runCLI(t, work, "reproduce", "toy", "--out", "r", "--slurm"); code != 0 || !strings.Contains(out, "(3 array tasks)") {
		t.Fatalf("--slurm: exit %d %s %s", code, out, stderr)
	}
	script, _ := os.ReadFile(filepath.Join(work, "r", "toy-quick-slurm", "slurm.sh"))
	if !strings.Contains(string(script), "#SBATCH --array=0-2") || !strings.Contains(string(script), `'reproduce' 'toy'`) {
		t.Fatalf("slurm.sh:\n%s", script)
	}
	out, _, code = runCLI(t, work, "reproduce", "toy", "--out", "r")
	if code != 0 || !strings.Contains(out, "| 1 | points count to value x steps | [2 4 6] | 2, 4, 6 | PASS |") {
		t.Fatalf("reproduce: %s", out)
	}
	// resume continues an interrupted point from its checkpoint.
	point := filepath.Join(work, "r", "toy", "runs", "v3")
	runtest.SetRecord(t, point, "finished", false)
	os.MkdirAll(filepath.Join(point, "checkpoints"), 0o755)
	os.WriteFile(filepath.Join(point, experiment.CheckpointPath), []byte("1 3"), 0o644)
	if out, stderr, code := runCLI(t, work, "resume", point); code != 0 || !strings.Contains(out, "resumed, sum 6") {
		t.Fatalf("resume: exit %d %s %s", code, out, stderr)
	}
	// serve lists it with the other studies.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "localhost:8080"
	report.Handler(filepath.Join(work, "r"), 10, func(root string) ([]report.RunInfo, error) { return runlist.Scan(root, false) }).ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "toy") || !strings.Contains(rec.Body.String(), "toy/report.html") {
		t.Fatalf("serve index:\n%s", rec.Body.String())
	}
}
