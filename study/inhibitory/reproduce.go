package inhibitory

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/study/classify"
)

// Kind registers the study with the command line: `study:
// inhibitory-normalization` configs, and `reproduce
// inhibitory-normalization` with the presets
// configs/inhibitory-normalization/{quick,medium,long,paper}.yaml.
func Kind() experiment.Kind {
	return experiment.Kind{
		Name:   "inhibitory-normalization",
		Scales: []string{experiment.DemoScale, "quick", "medium", "long", "paper"},
		Parse: func(data []byte, sets []string) (experiment.Study, error) {
			cfg, err := Parse(data, sets)
			if err != nil {
				return nil, err
			}
			return New(cfg)
		},
		Plan: plan,
	}
}

// plan is the study at one scale and its verdicts.
func plan(presets fs.FS, scale string, sets []string) (*experiment.Plan, error) {
	data, err := fs.ReadFile(presets, "inhibitory-normalization/"+scale+".yaml")
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(data, sets)
	if err != nil {
		return nil, fmt.Errorf("inhibitory-normalization/%s.yaml: %w", scale, err)
	}
	st, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &experiment.Plan{Title: "Inhibitory normalisation", Studies: []experiment.Study{st},
		Verdicts: func(_ context.Context, rs []experiment.Result, _ experiment.Env) ([]experiment.VerdictSet, error) {
			c, ok := rs[0].(*Comparison)
			if !ok {
				return []experiment.VerdictSet{{Title: "The study's checks", Verdicts: []experiment.Verdict{
					experiment.NotApplicable(0, "Every check", "the study has not finished training")}}}, nil
			}
			sets := []experiment.VerdictSet{{Title: "The study's checks", Verdicts: Verdicts(c)}}
			if scale == experiment.DemoScale {
				sets = experiment.NotJudged(sets)
			}
			return sets, nil
		}}, nil
}

// runner runs a Config as an experiment.Study: every point is one
// classify run; the points share one read-only copy of the data.
type runner struct {
	cfg  Config
	pts  []Point
	runs classify.Runs
}

// New expands cfg into the study's points.
func New(cfg Config) (experiment.Study, error) {
	pts, err := cfg.Points()
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, pts: pts}
	for _, p := range pts {
		r.runs.Configs = append(r.runs.Configs, p.Config)
	}
	return r, nil
}

func (r *runner) Name() string                        { return r.cfg.Name }
func (r *runner) Dir() string                         { return r.cfg.Dir() }
func (r *runner) Workers() int                        { return r.cfg.Workers }
func (r *runner) Units(int) int                       { return 1 }
func (r *runner) Points() ([]experiment.Point, error) { return r.runs.Points() }

// Open loads the data every point trains on and records the study's
// config as study.yaml.
func (r *runner) Open(env experiment.Env) error {
	src, err := r.runs.Load(env.DataDir, env.Log)
	if err != nil {
		return err
	}
	if err := r.runs.CheckData(); err != nil {
		return err
	}
	fmt.Fprintf(env.Log, "%s: %d conditions x %d eps x %d configs x %d replicates; data: %s\n",
		r.cfg.Name, len(r.cfg.Conditions), len(r.cfg.Eps), len(r.cfg.hparamIndices()), r.cfg.Replicates, src)
	return fsutil.WriteFileAtomic(filepath.Join(r.Dir(), "study.yaml"), experiment.ToYAML(r.cfg))
}

// RunPoint trains (or resumes) point i on the shared data.
func (r *runner) RunPoint(ctx context.Context, i int, env experiment.Env) error {
	_, err := r.runs.Run(ctx, i, env)
	return err
}

// Finish reads every point back and writes the comparison.
func (r *runner) Finish(context.Context, experiment.Env) (experiment.Result, error) {
	results := make([]PointResult, len(r.pts))
	for i, p := range r.pts {
		var err error
		if results[i], err = loadPointResult(p); err != nil {
			return nil, err
		}
	}
	cmp := Compare(r.cfg, results)
	return cmp, cmp.Write(r.Dir())
}

// Run runs cfg as a study (experiment.RunStudy) and returns its comparison.
func Run(ctx context.Context, cfg Config, env experiment.Env) (*Comparison, error) {
	st, err := New(cfg)
	if err != nil {
		return nil, err
	}
	res, err := experiment.RunStudy(ctx, st, env)
	if err != nil {
		return nil, err
	}
	return res.(*Comparison), nil
}
