package experiment

import (
	"strings"
	"testing"
	"time"
)

// Units skipped as done by an earlier process count in the position but
// not in the rate: 40 skipped, then 10 in 10 s leaves 50 at 1 per second.
func TestLineProgressSkip(t *testing.T) {
	var b strings.Builder
	p := &lineProgress{w: &b}
	p.Start("net", 100)
	p.Skip(40)
	p.start = time.Now().Add(-10 * time.Second)
	p.Add(10, "loss 1")
	if got := b.String(); !strings.Contains(got, "net 50/100 (50%) loss 1 eta 50s") {
		t.Fatalf("line %q", got)
	}
	b.Reset()
	p.Start("net", 10)
	p.Skip(10)
	p.Add(0, "")
	if b.Len() != 0 {
		t.Fatalf("a phase done before this process printed %q", b.String())
	}
}
