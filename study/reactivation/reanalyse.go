package reactivation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/internal/npy"
	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/task/pathint"
)

// AnalyzeRun re-runs the offline analyses of a finished run
// directory with its saved weights, after applying overrides to its
// config (e.g. quiescence.noise_factor=1 for the temperature check, or
// network.noise=gaussian for a uniform-trained network), and writes them
// under RUN_DIR/analyses/NAME.
func AnalyzeRun(runDir, name string, overrides []string, log io.Writer) (*Result, error) {
	if err := experiment.ValidName(name); err != nil {
		return nil, fmt.Errorf("--name %w: the analysis is written to RUN_DIR/analyses/NAME", err)
	}
	var prior Result
	b, err := fsutil.ReadRegular(filepath.Join(runDir, "summary.json"), fsutil.MaxSummaryBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a finished run (no summary.json); train it with `circuitry run CONFIG` first", runDir)
	}
	if err := json.Unmarshal(b, &prior); err != nil || prior.Condition == "" {
		return nil, fmt.Errorf("%s: summary.json is not an offline-reactivation run summary", runDir)
	}
	s, err := readPointStudy(runDir, overrides)
	if err != nil {
		return nil, err
	}
	r, net, err := reanalyse(s, runDir, &prior)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(runDir, "analyses", name)
	r.Dir = out
	fingerprint := ""
	if rec, err := experiment.ReadRecord(runDir); err == nil {
		fingerprint = rec.ConfigSHA256 // the training config's: same weights
	}
	if err := fsutil.NoSymlinks(runDir, filepath.Join("analyses", name)); err != nil {
		return nil, err
	}
	if err := writeArrays(out, r, net, fingerprint); err != nil {
		return nil, err
	}
	if err := (&experiment.RunDir{Path: out}).WriteJSON("summary.json", struct {
		Overrides []string `json:"overrides"`
		*Result
	}{overrides, r}); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%s: analysis %q written to %s\n", runDir, name, out)
	return r, nil
}

// reanalyse loads the trained weights saved under runDir into study s's
// network for prior's condition and seed and repeats the offline
// analyses; the training record (steps, time, loss) is prior's.
func reanalyse(s Config, runDir string, prior *Result) (*Result, rnn.Net, error) {
	c, ok := conditions[prior.Condition]
	if !ok {
		return nil, nil, fmt.Errorf("%s: unknown condition %q", runDir, prior.Condition)
	}
	task := s.NewTask(c.biased, prior.Seed)
	net, err := loadNet(s, runDir, prior.Condition, prior.Seed, task)
	if err != nil {
		return nil, nil, err
	}
	untrained, err := s.newUntrained(task, prior.Seed, 0)
	if err != nil {
		return nil, nil, err
	}
	nc := s.Network
	r := &Result{Condition: prior.Condition, Seed: prior.Seed, Task: s.Task, Noise: nc.Noise, NRec: nc.NRec,
		TrainSteps: prior.TrainSteps, SecondsPerStep: prior.SecondsPerStep, FinalLoss: prior.FinalLoss}
	if err := analyse(context.Background(), s, task, net, untrained, prior.Condition, prior.Seed, r, experiment.Quiet{}); err != nil {
		return nil, nil, err
	}
	return r, net, nil
}

// loadNet builds the condition's network and loads the trained weights
// saved under runDir (arrays/*.npy, checked against weights.safetensors).
func loadNet(s Config, runDir, cond string, seed uint64, task pathint.Task) (rnn.Net, error) {
	net, err := s.newNet(cond, task, seed, 0)
	if err != nil {
		return nil, err
	}
	saved, err := savedWeights(runDir)
	if err != nil {
		return nil, err
	}
	for _, p := range net.Params() {
		path := filepath.Join(runDir, "arrays", p.Name+".npy")
		w, shape, err := npy.ReadFloat32(path)
		if errors.Is(err, os.ErrNotExist) && saved[p.Name] != nil {
			// A run kept as its weights file alone (results/ bundles): the
			// arrays are conveniences the analyses rewrite.
			w, shape, err = saved[p.Name], []int{p.Value.Rows, p.Value.Cols}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a finished run (weights missing: %w)", runDir, err)
		}
		if len(shape) != 2 || shape[0] != p.Value.Rows || shape[1] != p.Value.Cols {
			return nil, fmt.Errorf("%s: shape %v, the config wants %dx%d", path, shape, p.Value.Rows, p.Value.Cols)
		}
		if st, ok := saved[p.Name]; !ok || len(st) != p.Value.Rows*p.Value.Cols || !slices.Equal(st, w) {
			return nil, fmt.Errorf("%s: %s differs from %s (one of them is damaged) — --force retrains the run", runDir, path, filepath.Join(runDir, "weights.safetensors"))
		}
		copy(p.Value.Data, w)
	}
	return net, nil
}

// LoadNetwork rebuilds a finished study point's trained network (its
// config.yaml and saved weights) with its training noise, for use
// outside the study (e.g. checking another implementation against it).
func LoadNetwork(runDir string) (rnn.Net, error) {
	s, cond, seed, err := readPoint(runDir)
	if err != nil {
		return nil, err
	}
	return loadNet(s, runDir, cond, seed, s.NewTask(conditions[cond].biased, seed))
}

// readPoint reads a study point's config.yaml: the study reduced to one
// condition and one seed, which it returns too.
func readPoint(dir string) (s Config, cond string, seed uint64, err error) {
	if s, err = readPointStudy(dir, nil); err != nil {
		return s, "", 0, err
	}
	if len(s.Conditions) != 1 || len(s.Seeds) != 1 {
		return s, "", 0, fmt.Errorf("%s: not a study point (its config.yaml lists %d conditions and %d seeds)", dir, len(s.Conditions), len(s.Seeds))
	}
	return s, s.Conditions[0], s.Seeds[0], nil
}

// savedWeights decodes a run's weights.safetensors (fully validated), by
// tensor name: the weights an analysis uses are checked against it.
func savedWeights(runDir string) (map[string][]float32, error) {
	ts, _, err := safetensors.ReadFile(filepath.Join(runDir, "weights.safetensors"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: not a finished run (%w)", runDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w — the file is damaged; --force retrains the run", err)
	}
	out := make(map[string][]float32, len(ts))
	for _, t := range ts {
		out[t.Name] = t.Data
	}
	return out, nil
}

// refreshAnalyses repeats a finished network's analyses in place (its
// summary, arrays and run report), keeping its trained weights.
func refreshAnalyses(s Config, run *experiment.RunDir, prior *Result) (*Result, error) {
	r, net, err := reanalyse(s, run.Path, prior)
	if err != nil {
		return nil, err
	}
	r.Dir = run.Path
	return r, writePoint(run, r, net)
}

// ResumePoint continues one interrupted network of an
// offline-reactivation study from its checkpoint and runs its analyses.
// dir is OUT/STUDY/runs/CONDITION_sSEED.
func ResumePoint(ctx context.Context, dir string, progress experiment.Progress, log io.Writer) (*Result, error) {
	dir = filepath.Clean(dir)
	s, cond, seed, err := readPoint(dir)
	if err != nil {
		return nil, err
	}
	studyDir := filepath.Dir(filepath.Dir(dir))
	s.Out.Dir, s.Name = filepath.Dir(studyDir), filepath.Base(studyDir)
	if s.pointDir(cond, seed) != dir {
		return nil, fmt.Errorf("%s: not where its study keeps %s seed %d (want OUT/STUDY/runs/%s)", dir, cond, seed, pointName(cond, seed))
	}
	return runPoint(ctx, s, cond, seed, experiment.Env{Progress: progress, Log: log}, true)
}

// readPointStudy parses a study point's config.yaml with overrides.
func readPointStudy(dir string, overrides []string) (Config, error) {
	path := filepath.Join(dir, "config.yaml")
	data, err := fsutil.ReadRegular(path, fsutil.MaxRecordBytes)
	if err != nil {
		return Config{}, fmt.Errorf("%s: not a run directory (no config.yaml)", dir)
	}
	s, err := Parse(data, overrides)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
