package reactivation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/internal/npy"
	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/rnn"
)

func writeArrays(runPath string, r *Result, net rnn.Net, fingerprint string) error {
	dir := filepath.Join(runPath, "arrays")
	type arrayFile struct {
		name  string
		data  any
		shape []int
	}
	files := []arrayFile{
		{"waking_decoded.npy", r.wake, []int{r.t, r.b, r.dim}},
		{"quiescent_decoded.npy", r.quiet, []int{r.tq, r.b, r.dim}},
		{"untrained_quiescent_decoded.npy", r.untrainedQuiet, []int{r.tq, r.b, r.dim}},
		{"drift_positions.npy", r.drift, []int{len(r.drift) / r.dim, r.dim}},
		{"drift_delta.npy", r.driftDelta, []int{len(r.driftDelta) / r.dim, r.dim}},
	}
	if r.quietAdded != nil {
		files = append(files, arrayFile{"quiescent_noise_added_decoded.npy", r.quietAdded, []int{r.tq, r.b, r.dim}})
	}
	if tb := r.test; tb != nil { // the waking test batch's ground truth
		nin := len(tb.X) / (tb.T * tb.B)
		files = append(files,
			arrayFile{"waking_true.npy", tb.Truth, []int{tb.T, tb.B, r.dim}},
			arrayFile{"waking_inputs.npy", tb.X, []int{tb.T, tb.B, nin}},
			arrayFile{"waking_init_codes.npy", tb.Init, []int{tb.B, len(tb.Init) / tb.B}})
	}
	if r.tuning != nil {
		shape := []int{len(r.tuning)}
		if r.dim == 2 {
			shape = []int{len(r.tuning) / 2, 2}
		}
		files = append(files, arrayFile{"cell_tuning.npy", r.tuning, shape})
	}
	if nrec := net.Config().NRec; r.wakeHidden != nil {
		files = append(files,
			arrayFile{"hidden_waking.npy", r.wakeHidden, []int{len(r.wakeHidden) / nrec, nrec}},
			arrayFile{"hidden_quiescent.npy", r.quietHidden, []int{len(r.quietHidden) / nrec, nrec}})
	}
	weights := experiment.ParamTensors(net.Params())
	for _, t := range weights { // the trained weights, for `circuitry analyze` and Python
		files = append(files, arrayFile{t.Name + ".npy", t.Data, t.Shape})
	}
	st, err := safetensors.Encode(weights, map[string]string{"format": "pt", "condition": r.Condition, "seed": fmt.Sprint(r.Seed), "config_sha256": fingerprint})
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(runPath, "weights.safetensors"), st); err != nil {
		return err
	}
	for _, f := range files {
		b, err := npy.Bytes(f.data, f.shape...)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if err := fsutil.WriteFileAtomic(filepath.Join(dir, f.name), b); err != nil {
			return err
		}
	}
	return nil
}

// readSummary reads a finished run's summary.json.
func readSummary(dir string) (*Result, error) {
	path := filepath.Join(dir, "summary.json")
	b, err := fsutil.ReadRegular(path, fsutil.MaxSummaryBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: finished run without its summary: %w — --force retrains it", dir, err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil || r.Condition == "" {
		return nil, fmt.Errorf("%s: damaged or not an offline-reactivation summary — --force retrains the run", path)
	}
	return &r, nil
}

// loadResult reads a finished run (summary.json and the
// arrays the study's figures need). A missing or damaged file is an error
// naming it: a finished run is never silently retrained.
// recordsOnly reports whether a finished point's directory has no arrays/
// at all: the shape of the committed results bundles, which keep a
// network's config, record, summary, metrics and weights. One array
// missing from an arrays/ that exists is damage (loadResult says so).
func recordsOnly(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "arrays"))
	return errors.Is(err, fs.ErrNotExist)
}

func loadResult(dir string) (*Result, error) {
	r, err := readSummary(dir)
	if err != nil {
		return nil, err
	}
	read := func(name string, dims int) ([]float64, []int, error) {
		path := filepath.Join(dir, "arrays", name)
		x, shape, err := npy.ReadFloat64(path)
		switch {
		case err != nil:
		case len(shape) != dims:
			err = fmt.Errorf("shape %v, want %d dimensions", shape, dims)
		case r.dim > 0 && shape[dims-1] != r.dim:
			// Every array holds positions (or angles) of the task's
			// dimension, which waking_decoded.npy fixes.
			err = fmt.Errorf("shape %v: last dimension %d, waking_decoded.npy's is %d", shape, shape[dims-1], r.dim)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: finished run with a damaged array (%v) — --force retrains it", path, err)
		}
		return x, shape, nil
	}
	var shape []int
	if r.wake, shape, err = read("waking_decoded.npy", 3); err != nil {
		return nil, err
	}
	r.t, r.b, r.dim = shape[0], shape[1], shape[2]
	if r.quiet, shape, err = read("quiescent_decoded.npy", 3); err != nil {
		return nil, err
	}
	r.tq = shape[0]
	if r.untrainedQuiet, _, err = read("untrained_quiescent_decoded.npy", 3); err != nil {
		return nil, err
	}
	if r.drift, _, err = read("drift_positions.npy", 2); err != nil {
		return nil, err
	}
	if r.driftDelta, _, err = read("drift_delta.npy", 2); err != nil {
		return nil, err
	}
	if r.NoiseAddedSD > 0 {
		if r.quietAdded, _, err = read("quiescent_noise_added_decoded.npy", 3); err != nil {
			return nil, err
		}
	}
	// The true waking path is drawn under the decoded one where the run
	// kept it (every run since the arrays held their ground truth).
	if _, err := os.Lstat(filepath.Join(dir, "arrays", "waking_true.npy")); err == nil {
		if r.wakeTrue, shape, err = read("waking_true.npy", 3); err != nil {
			return nil, err
		}
		if shape[0] != r.t || shape[1] != r.b {
			return nil, fmt.Errorf("%s: finished run with a damaged array (shape %v, waking_decoded.npy's %d x %d) — --force retrains it",
				filepath.Join(dir, "arrays", "waking_true.npy"), shape, r.t, r.b)
		}
	}
	return r, nil
}
