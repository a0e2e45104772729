// Package runtest holds helpers for tests of run directories: edit a
// run.json, and snapshot a directory to show a refusal changed nothing.
package runtest

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// SetRecord sets one key of a run directory's run.json, as a crash or an
// older version would have left it.
func SetRecord(t *testing.T, dir, key string, value any) {
	t.Helper()
	path := filepath.Join(dir, "run.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec[key] = value
	b, _ = json.Marshal(rec)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Snapshot maps every file under dir to its contents, to show a refusal
// changed nothing.
func Snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// SameSnapshot fails t unless a and b hold the same files and contents.
func SameSnapshot(t *testing.T, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("refusal changed the directory: %d files before, %d after", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("refusal changed %s", k)
		}
	}
}
