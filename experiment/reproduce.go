package experiment

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/report"
)

// ReproduceOptions are the settings of `circuitry reproduce`.
type ReproduceOptions struct {
	Scale     string   // quick | paper
	OutDir    string   // parent of the study directories; empty = the presets' (runs)
	DataDir   string   // Fashion-MNIST location (inhibitory normalisation)
	Overrides []string // --set, applied to every preset
	Force     bool     // retrain points whose directories hold another config
	Progress  Progress
	Log       io.Writer
}

// Reproduction is what Reproduce found.
type Reproduction struct {
	Verdicts string   // Markdown: a title and the verdict table
	Dirs     []string // the study directories, each with verdicts.md and report.html
}

// Reproduce runs a study's preset(s) at a scale, evaluates the study's
// checks and writes verdicts.md and a report.html topped by the verdict
// table into each study directory.
func Reproduce(ctx context.Context, presets fs.FS, study string, o ReproduceOptions) (*Reproduction, error) {
	if o.Scale != "quick" && o.Scale != "paper" {
		return nil, fmt.Errorf("--scale %q: want quick or paper", o.Scale)
	}
	if o.Progress == nil {
		o.Progress = Quiet{}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	switch study {
	case "inhibitory-normalization":
		return reproduceInhibitory(ctx, presets, o)
	case "offline-reactivation":
		return reproduceReactivation(ctx, presets, o)
	}
	return nil, fmt.Errorf("unknown study %q: want inhibitory-normalization or offline-reactivation", study)
}

// inhibitoryPreset reads the study-1 preset at the options' scale.
func inhibitoryPreset(presets fs.FS, o ReproduceOptions) (InhibitoryStudy, error) {
	data, err := fs.ReadFile(presets, "inhibitory-normalization/"+o.Scale+".yaml")
	if err != nil {
		return InhibitoryStudy{}, err
	}
	s, err := ParseInhibitoryStudy(data, o.sets())
	return s.WithForce(o.Force), err
}

// reactivationPresets reads the study-2 presets and returns the studies
// `reproduce` runs, in this order: spatial, head direction, and check 8's
// uniform-noise spatial network (uniformNoiseStudy).
func reactivationPresets(presets fs.FS, o ReproduceOptions) ([]ReactivationStudy, error) {
	var studies []ReactivationStudy
	for _, task := range []string{"spatial", "headdir"} {
		data, err := fs.ReadFile(presets, "offline-reactivation/"+task+"-"+o.Scale+".yaml")
		if err != nil {
			return nil, err
		}
		s, err := ParseReactivationStudy(data, o.sets())
		if err != nil {
			return nil, fmt.Errorf("%s preset: %w", task, err)
		}
		studies = append(studies, s.WithForce(o.Force))
	}
	return append(studies, uniformNoiseStudy(studies[0])), nil
}

// sets is the overrides with --out first.
func (o ReproduceOptions) sets() []string {
	if o.OutDir == "" {
		return o.Overrides
	}
	return append([]string{"out.dir=" + o.OutDir}, o.Overrides...)
}

func reproduceInhibitory(ctx context.Context, presets fs.FS, o ReproduceOptions) (*Reproduction, error) {
	s, err := inhibitoryPreset(presets, o)
	if err != nil {
		return nil, err
	}
	cmp, err := RunInhibitoryStudy(ctx, s, o.DataDir, o.Progress, o.Log)
	if err != nil {
		return nil, err
	}
	md := fmt.Sprintf("# Inhibitory normalisation (%s scale): verdicts\n\n", o.Scale) +
		VerdictTable("The study's checks", InhibitoryVerdicts(cmp))
	return &Reproduction{Verdicts: md, Dirs: []string{s.Dir()}}, writeVerdicts(s.Dir(), md, cmp.Markdown())
}

func reproduceReactivation(ctx context.Context, presets fs.FS, o ReproduceOptions) (*Reproduction, error) {
	studies, err := reactivationPresets(presets, o)
	if err != nil {
		return nil, err
	}
	reps := make([]*ReactivationReport, len(studies))
	var dirs []string
	for i, s := range studies {
		if reps[i], err = RunReactivationStudy(ctx, s, o.Progress, o.Log); err != nil {
			return nil, err
		}
		dirs = append(dirs, s.Dir())
	}
	x, err := reactivationExtras(studies[0], reps[0], studies[2], reps[2], o.Log)
	if err != nil {
		return nil, err
	}
	md := fmt.Sprintf("# Offline reactivation (%s scale): verdicts\n\nStudies: %s.\n\n", o.Scale, strings.Join(dirs, ", ")) +
		VerdictTable("The study's checks", ReactivationVerdicts(reps[0], reps[1], x))
	for i, d := range dirs {
		if err := writeVerdicts(d, md, reps[i].Markdown()); err != nil {
			return nil, err
		}
	}
	return &Reproduction{Verdicts: md, Dirs: dirs}, nil
}

// uniformNoiseStudy is check 8's network: the spatial study's noisy
// condition, first seed, trained and slept with the reference's uniform
// [0,1) noise.
func uniformNoiseStudy(s ReactivationStudy) ReactivationStudy {
	u := s
	u.Name = s.Name + "-uniform-noise"
	u.Network.Noise = "uniform"
	u.Conditions = []string{"noisy"}
	u.Seeds = s.Seeds[:1]
	return u
}

// reactivationExtras re-analyses finished spatial networks for checks 6
// (quiescent noise x1) and 8 (the uniform-noise network slept with
// Gaussian noise).
func reactivationExtras(sp ReactivationStudy, spRep *ReactivationReport, uni ReactivationStudy, uniRep *ReactivationReport, log io.Writer) (ReactivationExtras, error) {
	var x ReactivationExtras
	if spRep.Row("noisy") != nil {
		var sum float64
		for _, seed := range sp.Seeds {
			r, err := AnalyzeReactivationRun(sp.pointDir("noisy", seed), "noise-x1", []string{"quiescence.noise_factor=1"}, log)
			if err != nil {
				return x, err
			}
			sum += float64(r.KL)
		}
		k := sum / float64(len(sp.Seeds))
		x.KLNoiseX1 = &k
	}
	if row := uniRep.Row("noisy"); row != nil {
		r, err := AnalyzeReactivationRun(uni.pointDir("noisy", uni.Seeds[0]), "gaussian-sleep", []string{"network.noise=gaussian"}, log)
		if err != nil {
			return x, err
		}
		x.NoiseMatch = &NoiseMatch{Waking: float64(row.AnchorWake.Mean), Matched: float64(row.AnchorQuiet.Mean), Mismatched: float64(r.AnchorQuiet)}
	}
	return x, nil
}

// ReproducePlan is a study's runs at one scale, indexed as `reproduce
// --point` and the Slurm array index them. Running every point and then
// `reproduce` again (which finds them finished) gives the verdicts.
type ReproducePlan struct {
	Study, Scale string
	Dir          string   // where slurm.sh and the task logs go
	Names        []string // one per point: study directory and run name
	run          func(ctx context.Context, i int) error
}

// PlanReproduction expands a study at the options' scale into its points.
func PlanReproduction(presets fs.FS, study string, o ReproduceOptions) (*ReproducePlan, error) {
	if o.Scale != "quick" && o.Scale != "paper" {
		return nil, fmt.Errorf("--scale %q: want quick or paper", o.Scale)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	p := &ReproducePlan{Study: study, Scale: o.Scale}
	var out string
	switch study {
	case "inhibitory-normalization":
		s, err := inhibitoryPreset(presets, o)
		if err != nil {
			return nil, err
		}
		pts, err := s.Points()
		if err != nil {
			return nil, err
		}
		for _, pt := range pts {
			p.Names = append(p.Names, filepath.Join(s.Name, pt.Config.Name))
		}
		out = s.Out.Dir
		p.run = func(ctx context.Context, i int) error {
			return runInhibitoryPoint(ctx, s, pts[i], o.DataDir, o.Log)
		}
	case "offline-reactivation":
		studies, err := reactivationPresets(presets, o)
		if err != nil {
			return nil, err
		}
		type point struct {
			study int
			reactivationPoint
		}
		var pts []point
		for k, s := range studies {
			for _, pt := range s.points() {
				pts = append(pts, point{k, pt})
				p.Names = append(p.Names, filepath.Join(s.Name, pointName(pt.cond, pt.seed)))
			}
		}
		out = studies[0].Out.Dir
		p.run = func(ctx context.Context, i int) error {
			pt := pts[i]
			_, err := runReactivationPoint(ctx, studies[pt.study], pt.cond, pt.seed, Quiet{}, o.Log)
			return err
		}
	default:
		return nil, fmt.Errorf("unknown study %q: want inhibitory-normalization or offline-reactivation", study)
	}
	p.Dir = filepath.Join(out, study+"-"+o.Scale+"-slurm")
	return p, nil
}

// RunPoint runs (or resumes, or skips if finished) point i.
func (p *ReproducePlan) RunPoint(ctx context.Context, i int) error {
	if i < 0 || i >= len(p.Names) {
		return fmt.Errorf("--point %d: %s at %s scale has points 0 to %d", i, p.Study, p.Scale, len(p.Names)-1)
	}
	if err := p.run(ctx, i); err != nil {
		return fmt.Errorf("point %d (%s): %w", i, p.Names[i], err)
	}
	return nil
}

// runInhibitoryPoint trains one point of study 1 unless it is finished.
func runInhibitoryPoint(ctx context.Context, s InhibitoryStudy, pt Point, dataDir string, log io.Writer) error {
	switch act, err := Inspect(filepath.Join(pt.Config.Out.Dir, pt.Config.Name), ClassifierSpec(pt.Config), classifierCheckpoint, s.force); {
	case err != nil:
		return err
	case act == Reuse:
		fmt.Fprintf(log, "%s: finished earlier with the same config\n", pt.Config.Name)
		return nil
	}
	if dataDir == "" {
		dataDir = s.DataDir
	}
	train, test, src, err := LoadData(DataConfig{Dataset: "fashion-mnist"}, dataDir, log)
	if err != nil {
		return err
	}
	_, err = trainOrResume(ctx, pt.Config, RunOptions{Force: s.force, Train: train, Test: test, Source: src, Log: log})
	return err
}

// writeVerdicts saves verdicts.md and rewrites report.html with the
// verdicts above the study's own report.
func writeVerdicts(dir, verdicts, body string) error {
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "verdicts.md"), []byte(verdicts)); err != nil {
		return err
	}
	page, err := report.HTML(filepath.Base(dir), verdicts+"\n"+body, dir)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "report.html"), page)
}
