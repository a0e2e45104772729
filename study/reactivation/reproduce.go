package reactivation

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/circuitry-lab/circuitry/experiment"
)

// Kind registers the study with the command line: `study:
// offline-reactivation` configs, `reproduce offline-reactivation` with the
// presets configs/offline-reactivation/{spatial,headdir}-{quick,paper}.yaml,
// and `resume` of one interrupted network.
func Kind() experiment.Kind {
	return experiment.Kind{
		Name:   "offline-reactivation",
		Scales: []string{"quick", "paper"},
		Parse: func(data []byte, sets []string) (experiment.Study, error) {
			cfg, err := Parse(data, sets)
			if err != nil {
				return nil, err
			}
			return New(cfg), nil
		},
		Plan: plan,
		ResumePoint: func(ctx context.Context, dir string, env experiment.Env) (string, error) {
			r, err := ResumePoint(ctx, dir, env.Progress, env.Log)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s: decode err %.4f, KL %.3f; re-run the study to refresh its report", r.Dir, float64(r.DecodeErr), float64(r.KL)), nil
		},
	}
}

// Presets reads the study-2 presets at a scale and returns the studies
// `reproduce` runs, in this order: spatial, head direction, and check 8's
// uniform-noise spatial network (UniformNoiseStudy).
func Presets(presets fs.FS, scale string, sets []string) ([]Config, error) {
	var studies []Config
	for _, task := range []string{"spatial", "headdir"} {
		data, err := fs.ReadFile(presets, "offline-reactivation/"+task+"-"+scale+".yaml")
		if err != nil {
			return nil, err
		}
		s, err := Parse(data, sets)
		if err != nil {
			return nil, fmt.Errorf("%s preset: %w", task, err)
		}
		studies = append(studies, s)
	}
	return append(studies, UniformNoiseStudy(studies[0])), nil
}

// plan is the three studies at one scale and the verdicts over them.
func plan(presets fs.FS, scale string, sets []string) (*experiment.Plan, error) {
	cfgs, err := Presets(presets, scale, sets)
	if err != nil {
		return nil, err
	}
	p := &experiment.Plan{Title: "Offline reactivation"}
	for _, c := range cfgs {
		p.Studies = append(p.Studies, New(c))
	}
	p.Verdicts = func(_ context.Context, rs []experiment.Result, env experiment.Env) ([]experiment.Verdict, error) {
		sp, hd, uni := rs[0].(*Report), rs[1].(*Report), rs[2].(*Report)
		x, err := measureExtras(cfgs[0], sp, cfgs[2], uni, env.Log)
		if err != nil {
			return nil, err
		}
		return Verdicts(sp, hd, x), nil
	}
	return p, nil
}

// runner runs a Config as an experiment.Study: one point per condition
// and seed, each a trained network with its offline analyses.
type runner struct {
	cfg Config
	pts []point
}

// New expands cfg into its networks.
func New(cfg Config) experiment.Study { return &runner{cfg: cfg, pts: cfg.points()} }

func (r *runner) Name() string  { return r.cfg.Name }
func (r *runner) Dir() string   { return r.cfg.Dir() }
func (r *runner) Workers() int  { return r.cfg.Workers }
func (r *runner) Units(int) int { return r.cfg.Train.Steps } // training steps; analyses are not counted

func (r *runner) Points() ([]experiment.Point, error) {
	out := make([]experiment.Point, len(r.pts))
	for i, p := range r.pts {
		out[i] = experiment.Point{Name: pointName(p.cond, p.seed), Dir: r.cfg.pointDir(p.cond, p.seed),
			Spec: r.cfg.pointSpec(p.cond, p.seed), Checkpoint: checkpointPath}
	}
	return out, nil
}

func (r *runner) Open(experiment.Env) error { return nil }

func (r *runner) RunPoint(ctx context.Context, i int, env experiment.Env) error {
	p := r.pts[i]
	_, err := runPoint(ctx, r.cfg, p.cond, p.seed, env)
	return err
}

// Finish reads every network back and writes the study's report.
func (r *runner) Finish(context.Context, experiment.Env) (experiment.Result, error) {
	results := make([]*Result, len(r.pts))
	for i, p := range r.pts {
		var err error
		if results[i], err = loadResult(r.cfg.pointDir(p.cond, p.seed)); err != nil {
			return nil, err
		}
	}
	rep := newReport(r.cfg, results)
	return rep, rep.Write(r.Dir())
}

// Run runs cfg as a study (experiment.RunStudy) and returns its report.
func Run(ctx context.Context, cfg Config, env experiment.Env) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	res, err := experiment.RunStudy(ctx, New(cfg), env)
	if err != nil {
		return nil, err
	}
	return res.(*Report), nil
}

// UniformNoiseStudy is check 8's network: the spatial study's noisy
// condition, first seed, trained and slept with the reference's uniform
// [0,1) noise.
func UniformNoiseStudy(s Config) Config {
	u := s
	u.Name = s.Name + "-uniform-noise"
	u.Network.Noise = "uniform"
	u.Conditions = []string{"noisy"}
	u.Seeds = s.Seeds[:1]
	return u
}

// measureExtras re-analyses finished spatial networks for checks 6
// (quiescent noise x1) and 8 (the uniform-noise network slept with
// Gaussian noise).
func measureExtras(sp Config, spRep *Report, uni Config, uniRep *Report, log io.Writer) (Extras, error) {
	var x Extras
	if spRep.Row("noisy") != nil {
		var sum float64
		for _, seed := range sp.Seeds {
			r, err := AnalyzeRun(sp.pointDir("noisy", seed), "noise-x1", []string{"quiescence.noise_factor=1"}, log)
			if err != nil {
				return x, err
			}
			sum += float64(r.KL)
		}
		k := sum / float64(len(sp.Seeds))
		x.KLNoiseX1 = &k
	}
	if row := uniRep.Row("noisy"); row != nil {
		r, err := AnalyzeRun(uni.pointDir("noisy", uni.Seeds[0]), "gaussian-sleep", []string{"network.noise=gaussian"}, log)
		if err != nil {
			return x, err
		}
		x.NoiseMatch = &NoiseMatch{Waking: float64(row.AnchorWake.Mean), Matched: float64(row.AnchorQuiet.Mean), Mismatched: float64(r.AnchorQuiet)}
	}
	return x, nil
}
