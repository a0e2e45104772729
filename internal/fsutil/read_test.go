//go:build unix

package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ReadRegular reads a regular file, and refuses at once, naming the file:
// a symlink to /dev/zero, a FIFO without a writer (an ordinary open would
// block forever), a directory, and a file over the cap.
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "summary.json")
	os.WriteFile(ok, []byte(`{"a": 1}`), 0o644)
	if b, err := ReadRegular(ok, 100); err != nil || string(b) != `{"a": 1}` {
		t.Fatalf("regular file: %q, %v", b, err)
	}
	if _, err := ReadRegular(ok, 3); err == nil || !strings.Contains(err.Error(), "summary.json") || !strings.Contains(err.Error(), "more than the 3") {
		t.Fatalf("over the cap: %v", err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRegular(zero, MaxSummaryBytes); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "zero.json") {
		t.Fatalf("symlink to /dev/zero: %v", err)
	}
	if _, err := ReadRegular(dir, MaxSummaryBytes); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("directory: %v", err)
	}
	fifo := filepath.Join(dir, "run.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadRegular(fifo, MaxRecordBytes); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "run.json") {
			t.Fatalf("FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadRegular blocked on a FIFO")
	}
}

// NoSymlinks passes real directories and missing ones, and refuses a
// symlink at any level, naming it.
func TestNoSymlinks(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "analyses", "a"), 0o755)
	if err := NoSymlinks(root, "analyses/a"); err != nil {
		t.Fatal(err)
	}
	if err := NoSymlinks(root, "analyses/new/deeper"); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	os.Symlink(elsewhere, filepath.Join(root, "analyses", "b"))
	if err := NoSymlinks(root, "analyses/b"); err == nil || !strings.Contains(err.Error(), filepath.Join(root, "analyses", "b")) {
		t.Fatalf("symlinked analysis: %v", err)
	}
	other := t.TempDir()
	os.Symlink(elsewhere, filepath.Join(other, "analyses"))
	if err := NoSymlinks(other, "analyses/x"); err == nil || !strings.Contains(err.Error(), "refusing to write through it") {
		t.Fatalf("symlinked analyses: %v", err)
	}
}
