package classify

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/task/images"
)

// Runs are classifier runs that train on one shared, read-only copy of
// the data: the points of a study-1 study, or of a sweep.
type Runs struct {
	Configs     []Config
	train, test *images.Set
	src         images.Source
}

// Points are the runs as study points.
func (r *Runs) Points() ([]experiment.Point, error) {
	out := make([]experiment.Point, len(r.Configs))
	for i, c := range r.Configs {
		out[i] = StudyPoint(c)
	}
	return out, nil
}

// Load reads the data once for all runs when they read the same dataset
// (dataDir, the --data flag, wins over data.dir); otherwise each run
// loads its own when it trains.
func (r *Runs) Load(dataDir string, log io.Writer) (images.Source, error) {
	if len(r.Configs) == 0 {
		return images.Source{}, nil
	}
	d0 := r.Configs[0].Data
	for _, c := range r.Configs {
		if c.Data.Dir != d0.Dir || c.Data.Dataset != d0.Dataset {
			return images.Source{}, nil
		}
	}
	var err error
	r.train, r.test, r.src, err = LoadData(d0, dataDir, log)
	return r.src, err
}

// CheckData verifies that every finished or interrupted run among the
// configs was trained on the data loaded for them (CheckDataIdentity);
// nothing to check when the runs load their own data. A study's points
// finished earlier are skipped before they are run, so this is where
// their data is compared.
func (r *Runs) CheckData() error {
	if r.train == nil {
		return nil
	}
	for _, c := range r.Configs {
		dir := filepath.Join(c.Out.Dir, c.Name)
		if _, err := experiment.ReadRecord(dir); err != nil {
			continue // not started
		}
		if err := CheckDataIdentity(dir, r.src); err != nil {
			return err
		}
	}
	return nil
}

// Run trains (or resumes, as the integrity policy decides) run i, and adds
// one unit to env.Progress when it is done.
func (r *Runs) Run(ctx context.Context, i int, env experiment.Env) (*Summary, error) {
	c := r.Configs[i]
	start := time.Now()
	sum, err := Train(ctx, c, RunOptions{DataDir: env.DataDir, Force: env.Force, Log: env.Log, Train: r.train, Test: r.test, Source: r.src,
		GEMMWorkers: env.GEMMWorkers})
	if err != nil {
		return nil, err
	}
	env.Progress.Add(1, fmt.Sprintf("%s %.2f%% (%.0fs)", c.Name, 100*sum.FinalTestAcc, time.Since(start).Seconds()))
	return sum, nil
}
