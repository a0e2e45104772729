package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Caps on what a reader of a run directory loads, per file kind: each is
// far above what circuitry writes (a study-1 summary is ~5 KB, a run
// record ~0.5 KB, a config ~1 KB, a 50-epoch metrics file ~25 KB) and far
// below what would take the machine down.
const (
	MaxRecordBytes  = 1 << 20  // run.json, config.yaml, study.yaml
	MaxSummaryBytes = 64 << 20 // summary.json, comparison.json, verdicts.json, points.tsv
	MaxMetricsBytes = 64 << 20 // metrics.jsonl
	MaxBinaryBytes  = 1 << 30  // weights.safetensors, checkpoints, arrays/*.npy (the study's largest: ~25 MB)
)

// ErrNotRegular is returned for a path that is not a regular file (a
// FIFO, a device, a directory, a socket), after following symlinks.
var ErrNotRegular = errors.New("not a regular file")

// ReadRegular reads the regular file at path, refusing anything else and
// anything larger than max bytes, with an error naming the file. It never
// blocks: the file is opened non-blocking (a FIFO with no writer would
// hang an ordinary open) and its type checked on the open descriptor, so
// a symlink to /dev/zero or a FIFO fails at once.
func ReadRegular(path string, max int64) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d this reader accepts", path, fi.Size(), max)
	}
	// The file may grow after the stat: never read more than max.
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than the %d bytes this reader accepts", path, max)
	}
	return b, nil
}

// OpenRegular opens the regular file at path for reading (never blocking,
// as ReadRegular), for readers that stream it; anything else is an error
// naming the file.
func OpenRegular(path string) (*os.File, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// NoSymlinks refuses to let a writer follow a symlink it did not create:
// each component of rel below root that exists must be a directory or
// file, not a symlink (a pre-planted RUN_DIR/analyses -> elsewhere would
// make an analysis write outside the run).
func NoSymlinks(root, rel string) error {
	p := root
	for _, part := range strings.Split(filepath.ToSlash(filepath.Clean(rel)), "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s: a symlink circuitry did not create; refusing to write through it", p)
		}
	}
	return nil
}

// openNonBlocking opens path read-only without blocking on a FIFO.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|oNonBlock, 0)
}
