package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// SweepSpec is a grid of single-run configs: every combination of the
// grid's values (keys as in --set) times every seed.
type SweepSpec struct {
	Sweep   string               `yaml:"sweep"`   // name: the sweep's directory under out.dir
	Base    string               `yaml:"base"`    // the single-run config file the points start from (relative to the spec)
	Grid    map[string][]any     `yaml:"grid"`    // key -> values, e.g. train.lr: [0.001, 0.003]
	Seeds   []uint64             `yaml:"seeds"`   // one run per seed at every grid point
	Workers int                  `yaml:"workers"` // local parallel runs; 0 = one per core
	Slurm   SlurmConfig          `yaml:"slurm"`
	Out     OutConfig            `yaml:"out"`
	Extra   map[string]yaml.Node `yaml:",inline"` // rejected: unknown keys
}

// SlurmConfig sets the resources of the job array.
type SlurmConfig struct {
	Partition   string   `yaml:"partition"`     // empty: the cluster's default
	Time        string   `yaml:"time"`          // per task, e.g. "01:00:00"
	CPUsPerTask int      `yaml:"cpus_per_task"` // also GOMAXPROCS of each task
	Mem         string   `yaml:"mem"`           // e.g. "4G"
	Extra       []string `yaml:"extra"`         // further #SBATCH lines, e.g. "--account=lab"
}

// SweepPoint is one run of a sweep.
type SweepPoint struct {
	Index     int
	Overrides []string
	Config    Config
}

// LoadSweep reads and validates a sweep spec and expands its points.
func LoadSweep(path string) (*SweepSpec, []SweepPoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: %w", err)
	}
	s := &SweepSpec{Seeds: []uint64{1}, Slurm: SlurmConfig{Time: "01:00:00", CPUsPerTask: 2, Mem: "4G"}, Out: OutConfig{Dir: "runs"}}
	if err := yaml.Unmarshal(data, s); err != nil {
		return nil, nil, fmt.Errorf("%s: invalid YAML: %w", path, err)
	}
	for k := range s.Extra {
		return nil, nil, fmt.Errorf("%s: unknown key %q; known keys: sweep, base, grid, seeds, workers, slurm, out", path, k)
	}
	if s.Sweep == "" || filepath.Base(s.Sweep) != s.Sweep {
		return nil, nil, fmt.Errorf("%s: sweep = %q: want a directory name without slashes", path, s.Sweep)
	}
	if s.Base == "" {
		return nil, nil, fmt.Errorf("%s: base: want the path of a single-run config", path)
	}
	if !filepath.IsAbs(s.Base) {
		s.Base = filepath.Join(filepath.Dir(path), s.Base)
	}
	if len(s.Grid) == 0 {
		return nil, nil, fmt.Errorf("%s: grid is empty: give at least one key with values, e.g. train.lr: [0.001, 0.003]", path)
	}
	for k, vs := range s.Grid {
		if len(vs) == 0 {
			return nil, nil, fmt.Errorf("%s: grid.%s has no values", path, k)
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if f := flowYAML(v); seen[f] {
				return nil, nil, fmt.Errorf("%s: grid.%s lists %s twice", path, k, f)
			} else {
				seen[f] = true
			}
		}
	}
	if len(s.Seeds) == 0 {
		return nil, nil, fmt.Errorf("%s: seeds is empty", path)
	}
	for i, seed := range s.Seeds {
		if slices.Index(s.Seeds, seed) < i {
			return nil, nil, fmt.Errorf("%s: seeds lists %d twice", path, seed)
		}
	}
	if s.Workers < 0 {
		return nil, nil, fmt.Errorf("%s: workers = %d: want >= 0 (0 = one per core)", path, s.Workers)
	}
	if s.Slurm.CPUsPerTask < 1 {
		return nil, nil, fmt.Errorf("%s: slurm.cpus_per_task = %d: want >= 1", path, s.Slurm.CPUsPerTask)
	}
	base, err := os.ReadFile(s.Base)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: base: %w", path, err)
	}
	if StudyOf(base) != "" {
		return nil, nil, fmt.Errorf("%s: base %s is a study config; sweeps take single-run configs", path, s.Base)
	}
	keys := make([]string, 0, len(s.Grid))
	for k := range s.Grid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pts []SweepPoint
	combos := [][]string{{}}
	for _, k := range keys {
		var next [][]string
		for _, c := range combos {
			for _, v := range s.Grid[k] {
				next = append(next, append(append([]string{}, c...), k+"="+flowYAML(v)))
			}
		}
		combos = next
	}
	for _, c := range combos {
		for _, seed := range s.Seeds {
			i := len(pts)
			sets := append(append([]string{}, c...), fmt.Sprintf("seed=%d", seed), fmt.Sprintf("name=p%04d", i),
				"out.dir="+filepath.Join(s.Out.Dir, s.Sweep, "runs"))
			cfg, err := ParseConfig(base, sets)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: grid point %v: %w", path, c, err)
			}
			pts = append(pts, SweepPoint{Index: i, Overrides: append(append([]string{}, c...), fmt.Sprintf("seed=%d", seed)), Config: cfg})
		}
	}
	return s, pts, nil
}

// Dir is the sweep's directory.
func (s *SweepSpec) Dir() string { return filepath.Join(s.Out.Dir, s.Sweep) }

func pointDir(p SweepPoint) string { return filepath.Join(p.Config.Out.Dir, p.Config.Name) }

// inspectPoint is what the integrity policy says of a point's directory.
func inspectPoint(p SweepPoint, force bool) (Action, error) {
	return Inspect(pointDir(p), ClassifierSpec(p.Config), classifierCheckpoint, force)
}

// RunSweepPoint runs (or resumes) one point; a point finished with the
// same config is skipped, one that holds another config refused (unless
// opt.Force).
func RunSweepPoint(ctx context.Context, p SweepPoint, opt RunOptions) error {
	if act, err := inspectPoint(p, opt.Force); err != nil {
		return err
	} else if act == Reuse {
		return nil
	}
	if _, err := trainOrResume(ctx, p.Config, opt); err != nil {
		return fmt.Errorf("point %d (%s): %w", p.Index, strings.Join(p.Overrides, " "), err)
	}
	return nil
}

// RunSweep runs every unfinished point with workers in parallel (0 = the
// spec's workers, or one per core).
func RunSweep(ctx context.Context, s *SweepSpec, pts []SweepPoint, workers int, opt RunOptions, progress Progress, log io.Writer) error {
	log = lockedWriter(log)
	opt.Log = lockedWriter(opt.Log)
	if workers == 0 {
		workers = s.Workers
	}
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var todo []SweepPoint
	var refused []string
	for _, p := range pts {
		switch act, err := inspectPoint(p, opt.Force); {
		case err != nil:
			refused = append(refused, err.Error())
		case act != Reuse:
			todo = append(todo, p)
		}
	}
	if err := refusals(refused); err != nil {
		return err
	}
	lock, err := LockDir(s.Dir())
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := WritePointsIndex(s, pts); err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: %d points, %d to run, %d workers\n", s.Sweep, len(pts), len(todo), workers)
	progress.Start(s.Sweep, len(todo))
	jobs := make(chan SweepPoint)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				err := RunSweepPoint(ctx, p, opt)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				done++
				progress.Add(1, fmt.Sprintf("p%04d", p.Index))
				mu.Unlock()
			}
		}()
	}
	for _, p := range todo {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	progress.Finish(fmt.Sprintf("%s: %d points run", s.Sweep, done))
	return errors.Join(errs...)
}

// WritePointsIndex records which overrides each point has, for `report`.
func WritePointsIndex(s *SweepSpec, pts []SweepPoint) error {
	if err := os.MkdirAll(s.Dir(), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&b, "p%04d\t%s\n", p.Index, strings.Join(p.Overrides, " "))
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.Dir(), "points.tsv"), []byte(b.String()))
}

// SlurmArray is a Slurm job array whose task i runs Command with the
// array index in $SLURM_ARRAY_TASK_ID. Sweeps and `reproduce --slurm`
// both write one.
type SlurmArray struct {
	Name      string      // job name
	Tasks     int         // array indices 0..Tasks-1
	Resources SlurmConfig // per task
	Workdir   string      // --chdir: relative paths in Command resolve here
	LogDir    string      // one %A_%a.out per task
	Command   string      // shell command of one task
}

// Script is the sbatch script of the array.
func (a SlurmArray) Script() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n#SBATCH --array=0-%d\n#SBATCH --cpus-per-task=%d\n#SBATCH --time=%s\n#SBATCH --mem=%s\n",
		a.Name, a.Tasks-1, a.Resources.CPUsPerTask, a.Resources.Time, a.Resources.Mem)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", a.Workdir)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(a.LogDir, "%A_%a.out"))
	if a.Resources.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", a.Resources.Partition)
	}
	for _, e := range a.Resources.Extra {
		fmt.Fprintf(&b, "#SBATCH %s\n", e)
	}
	fmt.Fprintf(&b, "export GOMAXPROCS=%d\n", a.Resources.CPUsPerTask)
	fmt.Fprintf(&b, "exec %s\n", a.Command)
	return b.String()
}

// Write creates the log directory and writes the script to path (sbatch
// reads it; executable so it can also be run by hand).
func (a SlurmArray) Write(path string) error {
	if err := os.MkdirAll(a.LogDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(a.Script()), 0o755)
}

// SlurmArray is the sweep's job array: one task per point, run from
// workdir (relative paths in the spec resolve there), with --data dataDir
// when set.
func (s *SweepSpec) SlurmArray(pts []SweepPoint, exe, specPath, workdir, dataDir string) SlurmArray {
	args := []string{exe, "sweep", specPath}
	if dataDir != "" {
		args = append(args, "--data", dataDir)
	}
	return SlurmArray{Name: s.Sweep, Tasks: len(pts), Resources: s.Slurm, Workdir: workdir, LogDir: filepath.Join(s.Dir(), "slurm"),
		Command: ShellWords(args...) + ` --point "$SLURM_ARRAY_TASK_ID"`}
}

// ShellWords quotes each argument for a POSIX shell (single quotes, so
// nothing in a path or a --set value is expanded) and joins them.
func ShellWords(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// flowYAML encodes v on one line (lists as [a, b]), as --set expects.
func flowYAML(v any) string {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	var flow func(*yaml.Node)
	flow = func(n *yaml.Node) {
		n.Style |= yaml.FlowStyle
		for _, c := range n.Content {
			flow(c)
		}
	}
	flow(&n)
	b, err := yaml.Marshal(&n)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}
