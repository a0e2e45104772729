package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runParts runs every part exactly once and returns only after all have
// returned: from many goroutines at once (more callers than helpers, so
// some parts run on fresh goroutines), and after the helpers have slept.
func TestRunPartsRunsEachPartOnce(t *testing.T) {
	const callers, calls, parts = 6, 300, 3
	var wg sync.WaitGroup
	var bad atomic.Int32
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				var ran [parts]atomic.Int32
				runParts(parts, func(w int) { ran[w].Add(1) })
				for w := range ran {
					if ran[w].Load() != 1 {
						bad.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d parts ran other than once (or after runParts returned)", bad.Load())
	}
	// Helpers asleep (idle past helperSpin) wake for the next product.
	time.Sleep(5 * helperSpin)
	var ran atomic.Int32
	runParts(4, func(int) { ran.Add(1) })
	if ran.Load() != 4 {
		t.Fatalf("after sleeping: %d of 4 parts ran", ran.Load())
	}
}
