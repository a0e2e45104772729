package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/circuitry-lab/circuitry/internal/fsutil"

	"github.com/circuitry-lab/circuitry/internal/parallel"
)

// Env is what one invocation gives a study: where data is, whether to
// retrain runs that hold another config, how to report. None of it is
// part of any run's identity.
type Env struct {
	DataDir  string    // --data: overrides a config's data location
	Force    bool      // --force: retrain points whose directories hold another config
	Progress Progress  // nil: Quiet
	Log      io.Writer // notices, one line per event; nil: discarded
	// GEMMWorkers caps the goroutines of each matrix product of a point's
	// network (0: as many as pay). RunStudy sets 1 when at least one point
	// per core runs side by side: splitting small products then only adds
	// synchronisation. Results do not depend on it.
	GEMMWorkers int
}

func (e Env) withDefaults() Env {
	if e.Progress == nil {
		e.Progress = Quiet{}
	}
	e.Log = LockedWriter(e.Log)
	return e
}

// Point is one run of a study: its run directory and identity, which the
// runner checks against the integrity policy before the study runs it.
type Point struct {
	Name       string  // the run directory's name, e.g. noisy_s0
	Dir        string  // the run directory
	Spec       RunSpec // its identity
	Checkpoint string  // the checkpoint path, relative to Dir
}

// Study is one study config expanded into independent points (index =
// `--point` = Slurm array task). The runner decides for every point
// whether it is finished with the same config (skip), must run (the
// study's RunPoint then claims its directory and trains or resumes), or
// holds another config (refuse); Finish then reads every point back and
// writes the study's report.
type Study interface {
	Name() string // the study directory's name
	Dir() string  // the study directory
	Points() ([]Point, error)
	// Workers is how many points run at once (0: one per core).
	Workers() int
	// Units is how many progress units point i adds to Env.Progress while
	// it runs (1 for a point that reports only when it is done).
	Units(i int) int
	// Open prepares what the points share (data, the study's own record);
	// it is called once before the first point of a process runs.
	Open(env Env) error
	// RunPoint trains point i, or resumes it, or repeats its analyses, as
	// experiment.Claim decides for its directory.
	RunPoint(ctx context.Context, i int, env Env) error
	// Finish loads every point's results and writes the study's tables,
	// figures and report into Dir.
	Finish(ctx context.Context, env Env) (Result, error)
}

// Result is a finished study's report.
type Result interface {
	Markdown() string
}

// Warner is a Result that can say what a reader must not miss about it
// (e.g. a network that did not learn): one line each, shown beside the
// verdicts.
type Warner interface {
	Warnings() []string
}

// Pending applies the integrity policy to every point, reading only: it
// returns the indices of the points that must run, or one error for all
// the refusals, so a study whose config changed under finished points
// stops with nothing written.
func Pending(pts []Point, force bool) ([]int, error) {
	var todo []int
	var refused []string
	for i, p := range pts {
		switch act, err := Inspect(p.Dir, p.Spec, p.Checkpoint, force); {
		case err != nil:
			refused = append(refused, err.Error())
		case act != Reuse:
			todo = append(todo, i)
		}
	}
	return todo, Refusals(refused)
}

// RunStudy runs every point of st not finished with its config, Workers
// at a time, under a lock on the study directory, then Finish.
func RunStudy(ctx context.Context, st Study, env Env) (Result, error) {
	env = env.withDefaults()
	pts, err := st.Points()
	if err != nil {
		return nil, err
	}
	todo, err := Pending(pts, env.Force)
	if err != nil {
		return nil, err
	}
	lock, err := LockDir(st.Dir())
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := st.Open(env); err != nil {
		return nil, err
	}
	workers := st.Workers()
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(todo)))
	units := 0
	for _, i := range todo {
		units += st.Units(i)
	}
	fmt.Fprintf(env.Log, "%s: %d points, %d finished earlier, %d to run, %d at a time\n", st.Name(), len(pts), len(pts)-len(todo), len(todo), workers)
	shared := NewSharedProgress(env.Progress, env.Log, fmt.Sprintf("%s (%d to run)", st.Name(), len(todo)), units)
	penv := env
	penv.Progress = shared
	if workers >= runtime.GOMAXPROCS(0) {
		penv.GEMMWorkers = 1
	}
	errs := make([]error, len(todo))
	parallel.Each(len(todo), workers, func(t int) {
		if ctx.Err() != nil {
			return // interrupted: start nothing new
		}
		if err := st.RunPoint(ctx, todo[t], penv); err != nil {
			errs[t] = fmt.Errorf("%s: %w", pts[todo[t]].Name, err)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted; finished points are kept, re-run to resume: %w", err)
	}
	shared.Done(fmt.Sprintf("%s: all %d points finished", st.Name(), len(pts)))
	return st.Finish(ctx, env)
}

// RunStudyPoint runs point i of st alone (what a Slurm array task does),
// unless it is finished with the same config.
func RunStudyPoint(ctx context.Context, st Study, i int, env Env) error {
	env = env.withDefaults()
	pts, err := st.Points()
	if err != nil {
		return err
	}
	if i < 0 || i >= len(pts) {
		return fmt.Errorf("--point %d: %s has points 0 to %d", i, st.Name(), len(pts)-1)
	}
	p := pts[i]
	switch act, err := Inspect(p.Dir, p.Spec, p.Checkpoint, env.Force); {
	case err != nil:
		return err
	case act == Reuse:
		fmt.Fprintf(env.Log, "%s: finished earlier with the same config\n", p.Dir)
		return nil
	}
	if err := st.Open(env); err != nil {
		return err
	}
	if err := st.RunPoint(ctx, i, env); err != nil {
		return err
	}
	// One line a Slurm task's log ends with, to grep across an array.
	fmt.Fprintln(env.Log, ResultLine(p.Dir))
	return nil
}

// headlines are the summary.json fields that sum up a run of each run
// kind (RunSpec.Kind), in order, as the trainer of that kind registers
// them: the engine names no study.
var headlines sync.Map // kind -> []string

// RegisterHeadline names the summary.json fields that sum up a run of
// kind (`circuitry runs`, the serve index, a point's result line); a
// trainer package registers its kind's when it is loaded.
func RegisterHeadline(kind string, keys ...string) { headlines.Store(kind, keys) }

// Headline is kind's registered headline fields (none for an unknown kind).
func Headline(kind string) []string {
	if v, ok := headlines.Load(kind); ok {
		return v.([]string)
	}
	return nil
}

// ResultLine is "result DIR: key=value ..." with dir's headline results
// (or what is missing).
func ResultLine(dir string) string {
	rec, err := ReadRecord(dir)
	if err != nil {
		return fmt.Sprintf("result %s: no run record (%v)", dir, err)
	}
	b, err := fsutil.ReadRegular(filepath.Join(dir, "summary.json"), fsutil.MaxSummaryBytes)
	var sum map[string]any
	if err != nil || json.Unmarshal(b, &sum) != nil {
		return fmt.Sprintf("result %s: finished %v, no readable summary.json", dir, rec.Finished)
	}
	parts := []string{fmt.Sprintf("finished=%v", rec.Finished)}
	for _, k := range Headline(rec.Kind) {
		switch v := sum[k].(type) {
		case nil:
		case float64:
			parts = append(parts, fmt.Sprintf("%s=%.4g", k, v))
		default:
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return fmt.Sprintf("result %s: %s", dir, strings.Join(parts, " "))
}

// Kind is a study the command line knows by name: the value of its
// configs' `study:` key and of `circuitry reproduce NAME`.
type Kind struct {
	Name string
	// Scales are the preset scales `reproduce --scale` accepts, smallest
	// first (e.g. quick, paper).
	Scales []string
	// Parse decodes and validates a config of this study.
	Parse func(data []byte, sets []string) (Study, error)
	// Plan lists the studies `reproduce` runs at a scale (presets holds
	// the embedded configs/) and how their results are judged.
	Plan func(presets fs.FS, scale string, sets []string) (*Plan, error)
	// ResumePoint continues one interrupted point directory whose
	// config.yaml has this study's key (`circuitry resume DIR`), and says
	// what it found; nil if the study's points are single-run configs.
	ResumePoint func(ctx context.Context, dir string, env Env) (string, error)
}

// Plan is a reproduction: the studies to run, and the verdicts on them.
type Plan struct {
	Title   string // e.g. "Offline reactivation"
	Studies []Study
	// Verdicts judges the finished studies; results are in Studies' order,
	// nil for a study not run (ReproduceOptions.FinishedOnly), whose checks
	// it reports n/a.
	// A study with more than one experiment (study 2: the authors' uniform
	// noise and the theory's Gaussian noise) gives one table per experiment.
	Verdicts func(ctx context.Context, results []Result, env Env) ([]VerdictSet, error)
}

// VerdictSet is one verdict table: the checks of one experiment.
type VerdictSet struct {
	Title    string    `json:"title"` // e.g. "The study's checks", "Uniform noise (the authors' experiment)"
	Verdicts []Verdict `json:"verdicts"`
}

// Registry holds the studies the command line knows. A new study is a
// package that builds its Kind plus one Register call.
type Registry struct{ kinds []Kind }

// Register adds k; a second kind with the same name is an error.
func (r *Registry) Register(k Kind) error {
	if k.Name == "" || k.Parse == nil || k.Plan == nil || len(k.Scales) == 0 {
		return fmt.Errorf("study kind %q: want a name, scales, Parse and Plan", k.Name)
	}
	if _, err := r.Lookup(k.Name); err == nil {
		return fmt.Errorf("study kind %q is registered twice", k.Name)
	}
	r.kinds = append(r.kinds, k)
	return nil
}

// Lookup finds a kind by name; the error lists the known ones.
func (r *Registry) Lookup(name string) (Kind, error) {
	for _, k := range r.kinds {
		if k.Name == name {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("unknown study %q: want one of %s", name, strings.Join(r.Names(), ", "))
}

// Names lists the registered studies in registration order.
func (r *Registry) Names() []string {
	var ns []string
	for _, k := range r.kinds {
		ns = append(ns, k.Name)
	}
	return slices.Clip(ns)
}

// PlannedPoint is one point of a reproduction, across its studies.
type PlannedPoint struct {
	Study Study
	Index int    // within the study
	Name  string // STUDY/POINT
}

// PlanPoints lists every point of a plan's studies, in the order
// `reproduce --point` and the Slurm array index them.
func PlanPoints(p *Plan) ([]PlannedPoint, error) {
	var out []PlannedPoint
	for _, st := range p.Studies {
		pts, err := st.Points()
		if err != nil {
			return nil, err
		}
		for i, pt := range pts {
			out = append(out, PlannedPoint{Study: st, Index: i, Name: filepath.Join(st.Name(), pt.Name)})
		}
	}
	return out, nil
}
