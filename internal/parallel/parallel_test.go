package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 17, 1000} {
		hits := make([]int32, n)
		For(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, h)
			}
		}
	}
}

func TestEachCoversEveryIndexOnce(t *testing.T) {
	for _, c := range []struct{ n, workers int }{{0, 2}, {1, 4}, {5, 0}, {17, 3}, {1000, 8}} {
		hits := make([]int32, c.n)
		var running, peak atomic.Int32
		Each(c.n, c.workers, func(i int) {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			atomic.AddInt32(&hits[i], 1)
			running.Add(-1)
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", c.n, i, h)
			}
		}
		if p := int(peak.Load()); p > max(c.workers, 1) {
			t.Fatalf("n=%d workers=%d: %d bodies ran at once", c.n, c.workers, p)
		}
	}
}
