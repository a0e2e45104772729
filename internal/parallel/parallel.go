// Package parallel splits independent loop iterations across the cores Go
// may use.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls body on contiguous chunks [lo, hi) that together cover [0, n),
// one chunk per goroutine (at most GOMAXPROCS), and waits for all. body
// must be safe to run concurrently on disjoint chunks.
func For(n int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		if n > 0 {
			body(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}

// Each calls body(i) for every i in [0, n) on up to workers goroutines,
// each taking the next index when it finishes one (long, uneven jobs such
// as training runs), and waits for all.
func Each(n, workers int, body func(i int)) {
	workers = min(max(workers, 1), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				body(i)
			}
		}()
	}
	wg.Wait()
}
