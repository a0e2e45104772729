package reactivation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"

	"github.com/circuitry-lab/circuitry/experiment"
)

// Kind registers the study with the command line: `study:
// offline-reactivation` configs, `reproduce offline-reactivation` with the
// presets configs/offline-reactivation/{spatial,headdir}-{quick,paper}.yaml,
// and `resume` of one interrupted network.
func Kind() experiment.Kind {
	return experiment.Kind{
		Name:   "offline-reactivation",
		Scales: []string{experiment.DemoScale, "quick", "paper"},
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

// Experiment is one of the study's two experiments at one scale: the
// spatial and head-direction studies with one noise kind.
type Experiment struct {
	Title            string // the verdict table's title
	Noise            string // uniform | gaussian
	Spatial, HeadDir Config
	// GRU is a spatial study of the GRU conditions sized for its scale
	// (spatial-gru-quick.yaml: check 6 at quick scale, where a GRU of the
	// spatial preset's size would take most of the run), or nil where the
	// spatial preset holds them (paper) or none exists (demo).
	GRU *Config
}

// experiments are the two experiments, the authors' first: their code's
// uniform [0, 1) noise, with which the published figures were made, and
// the theory's zero-mean Gaussian noise.
var experiments = []struct{ title, infix, noise string }{
	{"Uniform [0, 1) noise: the authors' experiment (their code; the published figures)", "", "uniform"},
	{"Gaussian noise: the theory's experiment", "gaussian-", "gaussian"},
}

// Presets reads the study-2 presets at a scale: for each experiment the
// spatial and head-direction studies, configs/offline-reactivation/
// {spatial,headdir}-[gaussian-]SCALE.yaml.
func Presets(presets fs.FS, scale string, sets []string) ([]Experiment, error) {
	var out []Experiment
	for _, e := range experiments {
		x := Experiment{Title: e.title, Noise: e.noise}
		for _, task := range []string{"spatial", "headdir"} {
			s, err := readPreset(presets, "offline-reactivation/"+task+"-"+e.infix+scale+".yaml", e.noise, sets)
			if err != nil {
				return nil, err
			}
			if task == "spatial" {
				x.Spatial = s
			} else {
				x.HeadDir = s
			}
		}
		gru, err := gruPreset(presets, "offline-reactivation/spatial-"+e.infix+"gru-"+scale+".yaml", e.noise, sets)
		if err != nil {
			return nil, err
		}
		x.GRU = gru
		out = append(out, x)
	}
	return out, nil
}

// readPreset parses one preset with the --set overrides and checks that it
// belongs to the experiment of the given noise.
func readPreset(presets fs.FS, name, noise string, sets []string) (Config, error) {
	data, err := fs.ReadFile(presets, name)
	if err != nil {
		return Config{}, err
	}
	s, err := Parse(data, sets)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if s.Network.Noise != noise {
		return Config{}, fmt.Errorf("%s: network.noise = %q, but the preset is the %s experiment's", name, s.Network.Noise, noise)
	}
	return s, nil
}

// gruPreset reads an experiment's separate GRU study, when the scale has
// one. Only its GRU conditions run (a --set conditions=[...] that names
// none drops the study: the spatial study has the others).
func gruPreset(presets fs.FS, name, noise string, sets []string) (*Config, error) {
	s, err := readPreset(presets, name, noise, sets)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.Conditions = slices.DeleteFunc(slices.Clone(s.Conditions), func(c string) bool { return !conditions[c].gru })
	if len(s.Conditions) == 0 {
		return nil, nil
	}
	return &s, nil
}

// plan is both experiments at one scale (two studies each, three where
// the scale has a separate GRU study) and a verdict table for each.
func plan(presets fs.FS, scale string, sets []string) (*experiment.Plan, error) {
	xs, err := Presets(presets, scale, sets)
	if err != nil {
		return nil, err
	}
	p := &experiment.Plan{Title: "Offline reactivation"}
	first := make([]int, len(xs)) // each experiment's first study in p.Studies
	for i, x := range xs {
		first[i] = len(p.Studies)
		p.Studies = append(p.Studies, New(x.Spatial), New(x.HeadDir))
		if x.GRU != nil {
			p.Studies = append(p.Studies, New(*x.GRU))
		}
	}
	p.Verdicts = func(_ context.Context, rs []experiment.Result, env experiment.Env) ([]experiment.VerdictSet, error) {
		var sets []experiment.VerdictSet
		for i, x := range xs {
			sp, _ := rs[first[i]].(*Report) // nil: not run (reproduce --finished-only)
			hd, _ := rs[first[i]+1].(*Report)
			var gru *Report
			if x.GRU != nil {
				gru, _ = rs[first[i]+2].(*Report)
			}
			var vs []experiment.Verdict
			for _, miss := range []struct {
				rep    *Report
				task   string
				checks string
			}{{sp, "spatial", "1-3 and 5-8 on the spatial task"}, {hd, "head-direction", "1, 2 (PCA) and 4 on head direction"}} {
				if miss.rep == nil {
					vs = append(vs, experiment.NotApplicable(0, "Checks "+miss.checks, "the "+miss.task+" study was skipped or has not finished training"))
				}
			}
			if sp == nil && hd == nil && gru == nil {
				sets = append(sets, experiment.VerdictSet{Title: x.Title, Verdicts: vs})
				continue
			}
			extras := Extras{}
			if sp != nil {
				extras = measureExtras(x, sp)
			}
			extras.GRU = gru
			judged, err := VerdictsOverSeeds(sp, hd, extras)
			if err != nil {
				return nil, err
			}
			sets = append(sets, experiment.VerdictSet{Title: x.Title, Verdicts: append(vs, judged...)})
		}
		if scale == experiment.DemoScale {
			sets = experiment.NotJudged(sets)
		}
		return sets, nil
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
	_, err := runPoint(ctx, r.cfg, p.cond, p.seed, env, false)
	return err
}

// Finish reads every network back and writes the study's report; a
// point restored from a results bundle (no arrays/) is re-analysed from
// its weights first.
func (r *runner) Finish(ctx context.Context, env experiment.Env) (experiment.Result, error) {
	results := make([]*Result, len(r.pts))
	for i, p := range r.pts {
		var err error
		if dir := r.cfg.pointDir(p.cond, p.seed); recordsOnly(dir) {
			results[i], err = runPoint(ctx, r.cfg, p.cond, p.seed, env, false)
		} else if results[i], err = loadResult(dir); err == nil {
			// Reuse verifies what analyze verifies: the weights file decodes
			// and the weight arrays equal it.
			_, err = loadNet(r.cfg, dir, p.cond, p.seed, r.cfg.NewTask(conditions[p.cond].biased, p.seed))
		}
		if err != nil {
			return nil, err
		}
	}
	for _, res := range results {
		var err error
		if res.nulls, err = measureNulls(r.cfg, res); err != nil {
			return nil, err
		}
	}
	rep := newReport(r.cfg, results)
	m, err := klMatrix(r.cfg, results)
	if err != nil {
		return nil, err
	}
	rep.KL = m
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

// measureExtras reads checks 6 (quiescent noise x1) and, in the
// uniform-noise experiment, 8 (the noisy network slept with zero-mean
// Gaussian noise of the same sd) from the spatial study's noisy networks,
// means over seeds: both sleeps are measured with the other analyses
// (analysis version 7), so the verdicts run no simulation.
func measureExtras(x Experiment, rep *Report) Extras {
	var out Extras
	row := rep.Row("noisy")
	if row == nil {
		return out
	}
	if v := row.KLNoiseX1; v.N > 0 && !math.IsNaN(float64(v.Mean)) {
		out.KLNoiseX1 = &v
	}
	if m := float64(row.AnchorQuietMismatched.Mean); x.Noise == "uniform" && row.AnchorQuietMismatched.N > 0 && !math.IsNaN(m) {
		out.NoiseMatch = &NoiseMatch{Waking: float64(row.AnchorWake.Mean), Matched: float64(row.AnchorQuiet.Mean), Mismatched: m}
	}
	return out
}
