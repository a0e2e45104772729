package kernels

import "sync/atomic"

// flops counts the floating-point operations of the matrix products run
// while counting is on (2 m n k per product: one multiply and one add per
// term), so `circuitry bench` can state a workload's FLOP count as the
// products it actually executes. Off, it costs one atomic load per
// product; it never touches the arithmetic.
var flops struct {
	on atomic.Bool
	n  atomic.Int64
}

// StartFLOPCount zeroes the count and starts counting.
func StartFLOPCount() {
	flops.n.Store(0)
	flops.on.Store(true)
}

// StopFLOPCount stops counting and returns the FLOPs counted since
// StartFLOPCount.
func StopFLOPCount() int64 {
	flops.on.Store(false)
	return flops.n.Load()
}

// countFLOPs adds one m x n x k product while counting is on.
func countFLOPs(m, n, k int) {
	if flops.on.Load() {
		flops.n.Add(2 * int64(m) * int64(n) * int64(k))
	}
}
