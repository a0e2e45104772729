package experiment

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress reports how far a long loop has got.
type Progress interface {
	// Start begins a phase of total units.
	Start(label string, total int)
	// Add advances by n units; status is a short "loss 0.42" style note.
	Add(n int, status string)
	// Skip counts n units of the phase as done by an earlier process (a
	// run resumed from its checkpoint): they move the position but not
	// the rate, so the ETA is that of the work left.
	Skip(n int)
	// Finish ends the phase with a summary line.
	Finish(summary string)
}

// NewProgress returns a bar with rate and ETA when w is a terminal, and
// plain lines at most every interval otherwise (CI logs, pipes).
func NewProgress(w io.Writer, interval time.Duration) Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w, interval: interval}
}

// Quiet discards progress.
type Quiet struct{}

func (Quiet) Start(string, int) {}
func (Quiet) Add(int, string)   {}
func (Quiet) Skip(int)          {}
func (Quiet) Finish(string)     {}

type barProgress struct {
	w     io.Writer
	label string
	bar   *progressbar.ProgressBar
}

func (p *barProgress) Start(label string, total int) {
	p.label = label
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batch"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *barProgress) Add(n int, status string) {
	if status != "" {
		p.bar.Describe(p.label + " " + status)
	}
	p.bar.Add(n)
}

// Skip shortens the bar: the library's rate counts every unit it is
// given, so units done earlier are left out of it rather than added.
func (p *barProgress) Skip(n int) {
	p.bar.ChangeMax(max(0, p.bar.GetMax()-n))
}

func (p *barProgress) Finish(summary string) {
	p.bar.Finish()
	fmt.Fprintln(p.w, summary)
}

type lineProgress struct {
	w           io.Writer
	interval    time.Duration
	label       string
	total, n    int
	skipped     int // of n, done before this process
	start, last time.Time
}

func (p *lineProgress) Start(label string, total int) {
	p.label, p.total, p.n, p.skipped = label, total, 0, 0
	p.start, p.last = time.Now(), time.Now()
}

func (p *lineProgress) Skip(n int) { p.n += n; p.skipped += n }

func (p *lineProgress) Add(n int, status string) {
	p.n += n
	if now := time.Now(); now.Sub(p.last) >= p.interval && p.n < p.total && p.n > p.skipped {
		p.last = now
		el := now.Sub(p.start)
		eta := time.Duration(float64(el) / float64(p.n-p.skipped) * float64(p.total-p.n))
		fmt.Fprintf(p.w, "%s %d/%d (%.0f%%) %s eta %s\n", p.label, p.n, p.total, 100*float64(p.n)/float64(p.total), status, eta.Round(time.Second))
	}
}

func (p *lineProgress) Finish(summary string) { fmt.Fprintln(p.w, summary) }

// syncWriter serialises writes from networks trained side by side, so a
// log line is never interleaved with another (or raced on).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// LockedWriter returns w safe for concurrent use (nil: discarded).
func LockedWriter(w io.Writer) io.Writer {
	switch w.(type) {
	case nil:
		return io.Discard
	case *syncWriter:
		return w
	}
	return &syncWriter{w: w}
}
