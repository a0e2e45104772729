package sweep

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/configs"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/study/classify"
	"go.yaml.in/yaml/v3"
)

// Spec is a grid of single-run configs: every combination of the
// grid's values (keys as in --set) times every seed.
type Spec struct {
	Sweep   string                 `yaml:"sweep"`   // name: the sweep's directory under out.dir
	Base    string                 `yaml:"base"`    // the single-run config the points start from: a file (relative to the spec), or else an embedded preset (configs/NAME)
	Grid    map[string][]any       `yaml:"grid"`    // key -> values, e.g. train.lr: [0.001, 0.003]
	Seeds   []uint64               `yaml:"seeds"`   // one run per seed at every grid point
	Workers int                    `yaml:"workers"` // local parallel runs; 0 = one per core
	Slurm   experiment.SlurmConfig `yaml:"slurm"`
	Out     experiment.OutConfig   `yaml:"out"`
	Extra   map[string]yaml.Node   `yaml:",inline"` // rejected: unknown keys
}

// Point is one run of a sweep.
type Point struct {
	Index     int
	Overrides []string
	Config    classify.Config
}

// Load reads and validates a sweep spec and expands its points; sets are
// --set overrides of the base config applied to every point (a swept key,
// seed or name is an error).
func Load(path string, sets ...string) (*Spec, []Point, error) {
	data, err := experiment.ReadConfigFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: %w", err)
	}
	s := &Spec{Seeds: []uint64{1}, Slurm: experiment.SlurmConfig{Time: "01:00:00", CPUsPerTask: 2, Mem: "4G"}, Out: experiment.OutConfig{Dir: "runs"}}
	if err := yaml.Unmarshal(data, s); err != nil {
		return nil, nil, fmt.Errorf("%s: invalid YAML: %w", path, err)
	}
	if err := s.validate(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	base, err := s.readBase(path)
	if err != nil {
		return nil, nil, err
	}
	if experiment.StudyOf(base) != "" {
		return nil, nil, fmt.Errorf("%s: base %s is a study config; sweeps take single-run configs", path, s.Base)
	}
	for _, set := range sets {
		k, _, _ := strings.Cut(set, "=")
		if _, swept := s.Grid[k]; swept || k == "seed" || k == "name" || k == "out.dir" {
			return nil, nil, fmt.Errorf("--set %s: %s is set per point by the sweep; change the grid instead", set, k)
		}
	}
	var pts []Point
	for _, c := range s.combinations() {
		for _, seed := range s.Seeds {
			i := len(pts)
			point := append(append(append([]string{}, sets...), c...), fmt.Sprintf("seed=%d", seed), fmt.Sprintf("name=p%04d", i),
				"out.dir="+filepath.Join(s.Out.Dir, s.Sweep, "runs"))
			cfg, err := classify.ParseConfig(base, point)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: grid point %v: %w", path, c, err)
			}
			pts = append(pts, Point{Index: i, Overrides: append(append([]string{}, c...), fmt.Sprintf("seed=%d", seed)), Config: cfg})
		}
	}
	return s, pts, nil
}

// readBase reads the base config: the file it names, relative to the
// spec at path, or, where no such file exists, the embedded preset of that
// name (configs/mlp-baseline.yaml, mlp-baseline), so a spec written
// anywhere can start from a preset. s.Base becomes what was read.
func (s *Spec) readBase(path string) ([]byte, error) {
	name := s.Base
	if !filepath.IsAbs(s.Base) {
		s.Base = filepath.Join(filepath.Dir(path), s.Base)
	}
	data, err := experiment.ReadConfigFile(s.Base)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			return nil, fmt.Errorf("%s: base: %w", path, err)
		}
		return data, nil
	}
	if data, preset, perr := configs.Read(filepath.Clean(name)); perr == nil {
		s.Base = "configs/" + preset + " (embedded preset)"
		return data, nil
	}
	return nil, fmt.Errorf("%s: base %s: no such file, and no preset of that name (`circuitry presets` lists them)", path, name)
}

// validate checks the spec's own keys (not the base config's).
func (s *Spec) validate() error {
	for k := range s.Extra {
		return fmt.Errorf("unknown key %q; known keys: sweep, base, grid, seeds, workers, slurm, out", k)
	}
	if err := experiment.ValidName(s.Sweep); err != nil {
		return fmt.Errorf("sweep = %w", err)
	}
	if err := s.Slurm.Validate(); err != nil {
		return err
	}
	if s.Base == "" {
		return fmt.Errorf("base: want the path of a single-run config")
	}
	if len(s.Grid) == 0 {
		return fmt.Errorf("grid is empty: give at least one key with values, e.g. train.lr: [0.001, 0.003]")
	}
	for k, vs := range s.Grid {
		if len(vs) == 0 {
			return fmt.Errorf("grid.%s has no values", k)
		}
		seen := map[string]bool{}
		for _, v := range vs {
			f := experiment.FlowYAML(v)
			if seen[f] {
				return fmt.Errorf("grid.%s lists %s twice", k, f)
			}
			seen[f] = true
		}
	}
	if len(s.Seeds) == 0 {
		return fmt.Errorf("seeds is empty")
	}
	points := len(s.Seeds)
	for k, vs := range s.Grid {
		if points > MaxPoints/max(1, len(vs)) {
			return fmt.Errorf("grid (with %s) x seeds has more than %d points; split the sweep", k, MaxPoints)
		}
		points *= len(vs)
	}
	if points > MaxPoints {
		return fmt.Errorf("grid x seeds has %d points; at most %d (split the sweep)", points, MaxPoints)
	}
	for i, seed := range s.Seeds {
		if slices.Index(s.Seeds, seed) < i {
			return fmt.Errorf("seeds lists %d twice", seed)
		}
	}
	if s.Workers < 0 {
		return fmt.Errorf("workers = %d: want >= 0 (0 = one per core)", s.Workers)
	}
	if s.Workers > experiment.MaxWorkers {
		return fmt.Errorf("workers = %d: want at most %d", s.Workers, experiment.MaxWorkers)
	}
	if s.Slurm.CPUsPerTask < 1 {
		return fmt.Errorf("slurm.cpus_per_task = %d: want >= 1", s.Slurm.CPUsPerTask)
	}
	return nil
}

// MaxPoints bounds a sweep (grid combinations x seeds), checked before
// the grid is expanded.
const MaxPoints = 100_000

// combinations lists every combination of the grid's values as --set
// overrides, keys in sorted order.
func (s *Spec) combinations() [][]string {
	keys := make([]string, 0, len(s.Grid))
	for k := range s.Grid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	combos := [][]string{{}}
	for _, k := range keys {
		var next [][]string
		for _, c := range combos {
			for _, v := range s.Grid[k] {
				next = append(next, append(append([]string{}, c...), k+"="+experiment.FlowYAML(v)))
			}
		}
		combos = next
	}
	return combos
}

// Dir is the sweep's directory.
func (s *Spec) Dir() string { return filepath.Join(s.Out.Dir, s.Sweep) }

// runner runs a sweep as an experiment.Study: one classifier run a point.
type runner struct {
	spec    *Spec
	pts     []Point
	workers int
	runs    classify.Runs
}

// New is the sweep's study; workers overrides the spec's (0: keep it).
func New(spec *Spec, pts []Point, workers int) experiment.Study {
	if workers == 0 {
		workers = spec.Workers
	}
	r := &runner{spec: spec, pts: pts, workers: workers}
	for _, p := range pts {
		r.runs.Configs = append(r.runs.Configs, p.Config)
	}
	return r
}

func (r *runner) Name() string                        { return r.spec.Sweep }
func (r *runner) Dir() string                         { return r.spec.Dir() }
func (r *runner) Workers() int                        { return r.workers }
func (r *runner) Units(int) int                       { return 1 }
func (r *runner) Points() ([]experiment.Point, error) { return r.runs.Points() }

// Open writes points.tsv and loads the data the points share.
func (r *runner) Open(env experiment.Env) error {
	if err := WritePointsIndex(r.spec, r.pts); err != nil {
		return err
	}
	if _, err := r.runs.Load(env.DataDir, env.Log); err != nil {
		return err
	}
	return r.runs.CheckData()
}

// RunPoint trains (or resumes) point i.
func (r *runner) RunPoint(ctx context.Context, i int, env experiment.Env) error {
	if _, err := r.runs.Run(ctx, i, env); err != nil {
		p := r.pts[i]
		return fmt.Errorf("point %d (%s): %w", p.Index, strings.Join(p.Overrides, " "), err)
	}
	return nil
}

// Finish merges the finished points.
func (r *runner) Finish(context.Context, experiment.Env) (experiment.Result, error) {
	return ReportDir(r.Dir())
}

// WritePointsIndex records which overrides each point has, for `report`.
func WritePointsIndex(s *Spec, pts []Point) error {
	var b strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&b, "p%04d\t%s\n", p.Index, strings.Join(p.Overrides, " "))
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.Dir(), "points.tsv"), []byte(b.String()))
}

// SlurmArray is the sweep's job array: one task per point, run from
// workdir (relative paths in the spec resolve there), with --data dataDir
// when set.
func (s *Spec) SlurmArray(pts []Point, exe, specPath, workdir, dataDir string) experiment.SlurmArray {
	args := []string{exe, "sweep", specPath}
	if dataDir != "" {
		args = append(args, "--data", dataDir)
	}
	return experiment.SlurmArray{Name: s.Sweep, Tasks: len(pts), Resources: s.Slurm, Workdir: workdir, LogDir: filepath.Join(s.Dir(), "slurm"),
		Command: experiment.ShellWords(args...) + ` --point "$SLURM_ARRAY_TASK_ID"`}
}
