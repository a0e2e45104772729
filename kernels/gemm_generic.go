//go:build !amd64 || noasm

package kernels

var useAsm = false

func cpuHasAsm() bool { return false }

func microKernel(kb int, alpha float32, ap, bp, c []float32, ldc int) {
	kernel6x16Go(kb, alpha, ap, bp, c, ldc)
}

// Backend names the micro-kernel in use, for benchmarks and `circuitry bench`.
func Backend() string { return "go" }
