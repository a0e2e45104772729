package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockName is the lock file every run and study directory gets while a
// process writes to it.
const lockName = ".lock"

// Lock is a held advisory lock on a directory.
type Lock struct{ f *os.File }

// LockDir creates dir if needed and locks it for this process, or fails
// at once with one line naming the directory and the holder's pid, so two
// processes never write one run directory.
func LockDir(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot create its lock file: %w", dir, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: cannot lock it: %w", dir, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		f.Close()
		who := "another process"
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			who = fmt.Sprintf("process %d", pid)
		}
		return nil, fmt.Errorf("%s: in use by %s (lock %s); wait for it to finish or stop it", dir, who, path)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock; the lock file stays (removing it would let a
// third process lock a new file while a second still holds the old one).
func (l *Lock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
