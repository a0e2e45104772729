package classify

// A classifier run's identity and lifecycle: what makes two runs the same
// (Spec, the data identity), and how a run directory is trained, resumed
// or reused through the engine (experiment.Execute).

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/checkpoint"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/task/images"
)

// CheckpointPath is where a classifier run keeps its checkpoint.
const CheckpointPath = experiment.CheckpointPath

// Spec is the identity of a classifier run: its config, less
// where it is written and where its data is read from.
func Spec(cfg Config) experiment.RunSpec {
	spec := experiment.RunSpec{Kind: "classifier", Config: cfg.YAML(), Neutral: []string{"name", "out.dir", "data.dir"}}
	if cfg.Model.Kind == "dale" {
		// The product order enters as the trainer version, not as a key:
		// version 1 forms W = Wex - Wei Wix first (the default since
		// 2026-12-06); inputs_first is version 0, what every dale run
		// recorded before trained, so those records stay reusable under it.
		spec.Neutral = append(spec.Neutral, "model.dann_order")
		if cfg.Model.DANNOrder != InputsFirst {
			spec.Version = 1
		}
	}
	return spec
}

// StudyPoint is cfg's run as a point of a study or sweep.
func StudyPoint(cfg Config) experiment.Point {
	return experiment.Point{Name: cfg.Name, Dir: filepath.Join(cfg.Out.Dir, cfg.Name), Spec: Spec(cfg), Checkpoint: CheckpointPath}
}

// Train runs a config end to end under the integrity policy:
// a new run trains; the same config finished earlier is reused (its
// summary loaded), interrupted is resumed; another config in the run
// directory is refused unless opt.Force.
func Train(ctx context.Context, cfg Config, opt RunOptions) (*Summary, error) {
	sum, _, err := run(ctx, cfg, opt, false)
	return sum, err
}

// run claims cfg's run directory and trains, resumes or reuses
// it as the engine's policy decides (experiment.Execute); resumeOnly
// refuses anything but resuming.
func run(ctx context.Context, cfg Config, opt RunOptions, resumeOnly bool) (*Summary, experiment.Action, error) {
	if err := cfg.Validate(); err != nil {
		return nil, 0, err
	}
	dir := filepath.Join(cfg.Out.Dir, cfg.Name)
	return experiment.Execute(ctx, dir, Spec(cfg), experiment.ExecuteOptions{Force: opt.Force, ResumeOnly: resumeOnly},
		lifecycle{cfg: cfg, opt: opt})
}

// lifecycle is a classifier run's part of the engine's run lifecycle.
type lifecycle struct {
	cfg Config
	opt RunOptions
}

// Reuse loads a finished run's summary once its data is proven the same.
func (l lifecycle) Reuse(run *experiment.RunDir) (*Summary, error) {
	src := l.opt.Source
	if l.opt.Train == nil {
		var err error
		if src, err = images.FindFashionMNIST(firstNonEmpty(l.opt.DataDir, l.cfg.Data.Dir)); err != nil {
			return nil, err
		}
	}
	if err := CheckDataIdentity(run.Path, src); err != nil {
		return nil, err
	}
	sum, err := LoadSummary(run.Path)
	if err == nil && l.opt.Log != nil {
		fmt.Fprintf(l.opt.Log, "%s: finished earlier with the same config; reusing it (--force retrains)\n", run.Path)
	}
	return sum, err
}

// Reanalyse is Reuse: a classifier run's spec has no analysis keys, so
// only a record of an older analysis version gets here, and its results
// are those of its training.
func (l lifecycle) Reanalyse(run *experiment.RunDir) (*Summary, error) { return l.Reuse(run) }

// Train trains the run, from its checkpoint when resuming.
func (l lifecycle) Train(ctx context.Context, run *experiment.RunDir, resume bool) (*Summary, error) {
	r, err := newClassifierRun(l.cfg, l.opt)
	if err != nil {
		return nil, err
	}
	id, err := images.Identity(r.src)
	if err != nil {
		return nil, err
	}
	if resume {
		if err := CheckDataIdentity(run.Path, r.src); err != nil {
			return nil, err
		}
		if err := r.resumeFrom(run); err != nil {
			return nil, err
		}
	}
	run.SetDataIdentity(id)
	r.run = run
	r.sum.RunDir = run.Path
	return r.fit(ctx)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// CheckDataIdentity refuses a finished or interrupted run whose recorded
// data identity (run.json's data_identity, images.Identity) is not that of
// src: the same config on other images (the embedded subset, a subset of
// another copy) is another run. A record written before identities were
// recorded is accepted only where its summary names the same data source
// and that source is the official release (or the embedded subset, which
// ships with the program); otherwise it cannot be proven the same.
func CheckDataIdentity(dir string, src images.Source) error {
	rec, err := experiment.ReadRecord(dir)
	if err != nil {
		return err
	}
	cur, err := images.Identity(src)
	if err != nil {
		return err
	}
	const hint = " — point --data at the data it trained on, or --force to retrain"
	if rec.DataIdentity != "" {
		if rec.DataIdentity != cur {
			return fmt.Errorf("%s: trained on %s, the data now is %s (%s)%s", dir, rec.DataIdentity, cur, src, hint)
		}
		return nil
	}
	sum, err := LoadSummary(dir)
	if err != nil {
		if !rec.Finished {
			return nil // interrupted before its summary: the checkpoint holds no data identity to compare
		}
		return err
	}
	if sum.Data == src.String() && (cur == images.OfficialIdentity || src.Kind == "embedded") {
		return nil
	}
	return fmt.Errorf("%s: trained before circuitry recorded data identities, on %q; the data now is %s (%s): not provably the same%s", dir, sum.Data, cur, src, hint)
}

// resumeFrom loads the run's checkpoint into r.
func (r *classifierRun) resumeFrom(run *experiment.RunDir) error {
	check := func(*checkpoint.State) error {
		if err := r.checkLoop(); err != nil {
			return fmt.Errorf("loop state: %w", err)
		}
		return nil
	}
	if _, err := run.LoadCheckpoint(r.trainable(), configHash(r.cfg), &r.st, check); err != nil {
		return err
	}
	if r.dale.Network != nil {
		r.dale.SetStats(r.st.Stats)
	}
	return nil
}

// Resume continues a stopped run from its last checkpoint. The
// run's config.yaml must be the one the checkpoint was written with; the
// result is bit-identical to an uninterrupted run.
func Resume(ctx context.Context, runDir string, opt RunOptions) (*Summary, error) {
	data, err := fsutil.ReadRegular(filepath.Join(runDir, "config.yaml"), fsutil.MaxRecordBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a run directory (no config.yaml)", runDir)
	}
	cfg, err := ParseConfig(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(runDir, "config.yaml"), err)
	}
	cfg.Out.Dir, cfg.Name = filepath.Dir(filepath.Clean(runDir)), filepath.Base(filepath.Clean(runDir))
	opt.Force = false
	sum, _, err := run(ctx, cfg, opt, true)
	return sum, err
}

// LoadSummary reads a finished run's summary.json; a damaged one is an
// error naming it.
func LoadSummary(dir string) (*Summary, error) {
	path := filepath.Join(dir, "summary.json")
	b, err := fsutil.ReadRegular(path, fsutil.MaxSummaryBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: finished run without its summary: %w", dir, err)
	}
	var sum Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, fmt.Errorf("%s: damaged (%v) — remove the run with --force to retrain it", path, err)
	}
	return &sum, nil
}

func configHash(cfg Config) string {
	sum, err := Spec(cfg).Fingerprint()
	if err != nil {
		panic(err) // a marshalled Config always parses back
	}
	return sum
}
