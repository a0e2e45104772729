package experiment

import (
	"strings"
	"testing"
)

// A long threshold repeated in a table is written once; short ones and
// the first occurrence are written in full.
func TestVerdictTableWritesLongThresholdsOnce(t *testing.T) {
	long := "pass: KL x 2 <= the untrained, uniform and diffusion KLs; fail: one of them <= the network's KL (a long rule)"
	md := VerdictTable("t", []Verdict{
		Judged(2, "Noisy networks reactivate the waking distribution (noisy)", "KL 0.9", long, Fail),
		Judged(2, "Variance", "0.01", "< 0.02", Pass),
		Judged(2, "Noisy networks reactivate the waking distribution (biased)", "KL 0.7", long, Pass),
		Judged(6, "Persists at noise x1", "KL 0.3", long, Fail),
		Judged(7, "Short rule", "1", "< 0.02", Pass),
	})
	if n := strings.Count(md, long); n != 1 {
		t.Errorf("the long threshold written %d times:\n%s", n, md)
	}
	if n := strings.Count(md, `as for check 2, "Noisy networks reactivate the waking…", above`); n != 2 {
		t.Errorf("%d pointers to the first row:\n%s", n, md)
	}
	if n := strings.Count(md, "| < 0.02 |"); n != 2 {
		t.Errorf("short thresholds not repeated in full (%d):\n%s", n, md)
	}
}
