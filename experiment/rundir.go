package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// RunDir is one run's output directory:
//
//	config.yaml   the fully resolved config
//	metrics.jsonl one JSON record per epoch
//	summary.json  final results
type RunDir struct {
	Path    string
	metrics bytes.Buffer
}

// CreateRunDir makes parent/name. An existing non-empty directory is an
// error unless force, which clears it first.
func CreateRunDir(parent, name string, force bool) (*RunDir, error) {
	path := filepath.Join(parent, name)
	if entries, err := os.ReadDir(path); err == nil && len(entries) > 0 {
		if !force {
			return nil, fmt.Errorf("run directory %s already exists; pass --force to overwrite it or choose another name", path)
		}
		if err := os.RemoveAll(path); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", path, err)
	}
	return &RunDir{Path: path}, nil
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
	return r.WriteFile("metrics.jsonl", r.metrics.Bytes())
}

// WriteJSON writes v as indented JSON to name, atomically.
func (r *RunDir) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return r.WriteFile(name, append(b, '\n'))
}
