package experiment

import (
	"errors"
	"fmt"
	"strings"
)

// Problems collects what is wrong with a config, each problem naming the
// field, its value and what is wanted, so one error reports them all.
type Problems struct{ errs []error }

// Add records that field has value v where want describes what is allowed.
func (p *Problems) Add(field string, v any, want string) {
	p.errs = append(p.errs, fmt.Errorf("%s = %v: %s", field, v, want))
}

// Err is every problem joined, or nil.
func (p *Problems) Err() error { return errors.Join(p.errs...) }

// AtLeast records field unless v >= lo.
func (p *Problems) AtLeast(field string, v, lo int) {
	if v < lo {
		p.Add(field, v, fmt.Sprintf("want >= %d", lo))
	}
}

// StudyKey records the config's study key unless it is want.
func (p *Problems) StudyKey(got, want string) {
	if got != want {
		p.Add("study", fmt.Sprintf("%q", got), fmt.Sprintf("want %q", want))
	}
}

// DirName records field unless name is one directory name (no slashes,
// not . or ..).
func (p *Problems) DirName(field, name string) {
	if err := ValidName(name); err != nil {
		p.Add(field, fmt.Sprintf("%q", name), "want a directory name without slashes")
	}
}

// ValidName is nil when name can be one directory inside another: not
// empty, not . or .., no separators, no control characters. Every
// user-given name (a study's, a sweep's, an analysis's) goes through it,
// so nothing is written outside the run tree.
func ValidName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return fmt.Errorf("%q: want a directory name without slashes (not . or ..)", name)
	}
	return nil
}

// MaxWorkers bounds every parallelism setting (points at once, GEMM
// goroutines): more is never useful and a typo of many zeros would start
// that many goroutines.
const MaxWorkers = 1024

// Workers checks a workers setting: 0 (one per core) to MaxWorkers.
func (p *Problems) Workers(field string, n int) {
	if n < 0 || n > MaxWorkers {
		p.Add(field, n, fmt.Sprintf("want 0 (one per core) to %d", MaxWorkers))
	}
}

// MaxParams bounds a network's parameter count (50 million, 200 MB of
// float32 weights and 800 MB with gradients and Adam's moments), so a
// typo in a width is an error before the allocation, not an
// out-of-memory kill.
const MaxParams = 50_000_000
