package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/kernels"
)

// RunDir is one run's output directory:
//
//	config.yaml   the fully resolved config
//	run.json      the integrity record (fingerprint, finished, owned entries)
//	metrics.jsonl one JSON record per epoch
//	summary.json  final results
type RunDir struct {
	Path    string
	metrics bytes.Buffer
	rec     *Record
	spec    RunSpec
	foreign []string // entries that were there before the run: never the run's
	lock    *Lock
}

// Claim applies the integrity policy to dir for spec: it decides (see
// Inspect) before writing anything, so a refusal leaves dir untouched;
// then it locks dir, decides again under the lock, and opens it. The
// caller must Close the RunDir. checkpoint is the run's checkpoint path
// relative to dir.
func Claim(dir string, spec RunSpec, checkpoint string, force bool) (*RunDir, Action, error) {
	if _, err := Inspect(dir, spec, checkpoint, force); err != nil {
		return nil, 0, err
	}
	lock, err := LockDir(dir)
	if err != nil {
		return nil, 0, err
	}
	act, err := Inspect(dir, spec, checkpoint, force)
	if err != nil {
		lock.Unlock()
		return nil, 0, err
	}
	r, err := openRun(dir, spec, act)
	if err != nil {
		lock.Unlock()
		return nil, 0, err
	}
	r.lock = lock
	return r, act, nil
}

// openRun prepares a locked dir for act: Train and Restart remove what an
// earlier run created there and write config.yaml and run.json afresh;
// the other actions keep the directory as it is.
func openRun(dir string, spec RunSpec, act Action) (*RunDir, error) {
	r := &RunDir{Path: dir, spec: spec}
	rec, err := ReadRecord(dir)
	switch {
	case act != Train && act != Restart:
		if err != nil {
			return nil, err
		}
		r.rec = rec
		if err := r.updateAnalysisConfig(); err != nil {
			return nil, err
		}
	case err == nil:
		r.removeOwned(rec.Owned)
	case errors.Is(err, os.ErrNotExist):
		r.removeOwned(legacyOwned)
	default: // a damaged run.json under --force: remove what circuitry writes
		r.removeOwned(legacyOwned)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		// What circuitry writes is never foreign, so a run interrupted
		// before it sealed a new entry can still be cleared.
		if n := e.Name(); n != lockName && !slices.Contains(legacyOwned, n) && (r.rec == nil || !slices.Contains(r.rec.Owned, n)) {
			r.foreign = append(r.foreign, n)
		}
	}
	if r.rec != nil {
		return r, nil
	}
	sum, err := spec.Fingerprint()
	if err != nil {
		return nil, err
	}
	analysis, err := spec.AnalysisFingerprint()
	if err != nil {
		return nil, err
	}
	r.rec = &Record{Kind: spec.Kind, ConfigSHA256: sum, AnalysisSHA256: analysis, AnalysisVersion: spec.AnalysisVersion, TrainerVersion: spec.Version,
		Arithmetic: kernels.Arithmetic()}
	if err := r.WriteFile("config.yaml", spec.Config); err != nil {
		return nil, err
	}
	return r, r.Seal()
}

// removeOwned deletes the listed top-level entries (and nothing else).
func (r *RunDir) removeOwned(names []string) {
	for _, n := range names {
		if n == "" || n == lockName || n != filepath.Base(n) || n == "." || n == ".." {
			continue // a record never names anything outside its directory
		}
		os.RemoveAll(filepath.Join(r.Path, n))
	}
}

// SetDataIdentity records the identity of the data the run trains on; it
// is written with the record's next update (the first checkpoint or the
// end of training).
func (r *RunDir) SetDataIdentity(id string) { r.rec.DataIdentity = id }

// Fingerprint is the run's config SHA-256 (run.json's config_sha256).
func (r *RunDir) Fingerprint() string { return r.rec.ConfigSHA256 }

// Metrics is metrics.jsonl as written so far (for checkpoints).
func (r *RunDir) Metrics() []byte { return r.metrics.Bytes() }

// RestoreMetrics sets the metrics written before a checkpoint, so a
// resumed run appends to exactly those lines.
func (r *RunDir) RestoreMetrics(b []byte) {
	r.metrics.Reset()
	r.metrics.Write(b)
	r.writeTensorBoard(false) // best effort: the next AppendMetrics rewrites it anyway
}

// Close releases the directory's lock.
func (r *RunDir) Close() { r.lock.Unlock() }

// Seal records in run.json every top-level entry the run has created so
// far. Writers call it after creating new entries (checkpoints, arrays,
// figures), so an interrupted run can be cleared exactly.
func (r *RunDir) Seal() error {
	entries, err := os.ReadDir(r.Path)
	if err != nil {
		return err
	}
	owned := []string{recordName}
	for _, e := range entries {
		if n := e.Name(); n != lockName && n != recordName && !slices.Contains(r.foreign, n) && !isTemp(n) {
			owned = append(owned, n)
		}
	}
	r.rec.Owned = owned
	return r.WriteJSON(recordName, r.rec)
}

// isTemp is a temporary file of fsutil.WriteFileAtomic.
func isTemp(name string) bool { return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp") }

// updateAnalysisConfig rewrites config.yaml of a run resumed or
// re-analysed under other analysis keys (the training keys are the
// record's, Inspect checked), so it says what the analyses will use. The
// record takes the new analysis fingerprint only in MarkFinished: an
// interrupted re-analysis is repeated.
func (r *RunDir) updateAnalysisConfig() error {
	analysis, err := r.spec.AnalysisFingerprint()
	if err != nil || analysis == r.rec.AnalysisSHA256 {
		return err
	}
	return r.WriteFile("config.yaml", r.spec.Config)
}

// MarkFinished records that the run's results are complete, with the
// spec's analysis version and analysis keys (and, for a record from
// before the analysis split, its training fingerprint).
func (r *RunDir) MarkFinished() error {
	sum, err := r.spec.Fingerprint()
	if err != nil {
		return err
	}
	analysis, err := r.spec.AnalysisFingerprint()
	if err != nil {
		return err
	}
	r.rec.Finished = true
	r.rec.ConfigSHA256, r.rec.AnalysisSHA256, r.rec.AnalysisVersion = sum, analysis, r.spec.AnalysisVersion
	// The figures exist now: the event file gets them as images.
	if err := r.writeTensorBoard(true); err != nil {
		return err
	}
	return r.Seal()
}

// WriteFile writes name inside the run directory atomically.
func (r *RunDir) WriteFile(name string, data []byte) error {
	return fsutil.WriteFileAtomic(filepath.Join(r.Path, name), data)
}

// AppendMetrics adds one record to metrics.jsonl. The file is rewritten
// atomically, so it is always a whole number of valid lines.
func (r *RunDir) AppendMetrics(rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	r.metrics.Write(b)
	r.metrics.WriteByte('\n')
	if err := r.WriteFile("metrics.jsonl", r.metrics.Bytes()); err != nil {
		return err
	}
	return r.writeTensorBoard(false)
}

// WriteJSON writes v as indented JSON to name, atomically.
func (r *RunDir) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return r.WriteFile(name, append(b, '\n'))
}

// OutConfig says where run directories go.
type OutConfig struct {
	Dir string `yaml:"dir"` // parent of run directories
}
