// Package configs embeds the YAML presets shipped with circuitry, so the
// CLI can run them from any working directory.
package configs

import (
	"embed"
	"io/fs"
	"path/filepath"
	"strings"
)

// FS holds every preset, by path relative to this directory.
//
//go:embed *.yaml inhibitory-normalization/*.yaml offline-reactivation/*.yaml
var FS embed.FS

// Read reads the preset a name refers to, as a user writes it: with or
// without the leading configs/ and the trailing .yaml
// ("configs/mlp-baseline.yaml", "mlp-baseline"). It returns the preset's
// path in FS; a name that leaves the presets (../x) fails with
// fs.ErrInvalid, one that names no preset with fs.ErrNotExist.
func Read(name string) (data []byte, path string, err error) {
	path = strings.TrimPrefix(filepath.ToSlash(name), "configs/")
	if !strings.HasSuffix(path, ".yaml") {
		path += ".yaml"
	}
	if !fs.ValidPath(path) {
		return nil, path, &fs.PathError{Op: "read", Path: path, Err: fs.ErrInvalid}
	}
	data, err = FS.ReadFile(path)
	return data, path, err
}
