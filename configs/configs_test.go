package configs

import (
	"errors"
	"io/fs"
	"testing"
)

// A preset is found by the name a user writes, with or without configs/
// and .yaml; a name outside the presets or of no preset is an error of
// its kind.
func TestRead(t *testing.T) {
	for _, name := range []string{"configs/mlp-baseline.yaml", "mlp-baseline", "inhibitory-normalization/long"} {
		if data, path, err := Read(name); err != nil || len(data) == 0 || path[len(path)-5:] != ".yaml" {
			t.Errorf("%s: %q, %v", name, path, err)
		}
	}
	if _, _, err := Read("../../etc/passwd"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("outside the presets: %v", err)
	}
	if _, _, err := Read("nosuch"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no such preset: %v", err)
	}
}
