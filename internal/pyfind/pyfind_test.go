package pyfind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// $CIRCUITRY_PYTHON comes first; an interpreter that cannot import the
// modules is passed over; with none that can, the error names every one
// tried and the variable.
func TestFindOrder(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "python-fake")
	os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o755) // imports anything
	t.Setenv(Env, fake)
	if p, err := Find("a_module_nobody_has_1"); err != nil || p != fake {
		t.Fatalf("Find with $%s: %q, %v", Env, p, err)
	}
	broken := filepath.Join(dir, "python-broken")
	os.WriteFile(broken, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	t.Setenv(Env, broken)
	t.Setenv("PATH", dir) // no python3 on PATH
	_, err := Find("a_module_nobody_has_2")
	if err == nil || !strings.Contains(err.Error(), broken) || !strings.Contains(err.Error(), debian) || !strings.Contains(err.Error(), Env) {
		t.Fatalf("error %v", err)
	}
}
