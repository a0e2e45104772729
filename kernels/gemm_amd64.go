//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// useAsm is decided once: the assembly micro-kernel needs AVX2 and FMA.
var useAsm = cpuHasAsm()

func cpuHasAsm() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// kernel6x16AVX2 is kernel6x16Go in AVX2/FMA assembly (sgemm_amd64.s); kb > 0.
//
//go:noescape
func kernel6x16AVX2(kb int, alpha float32, ap, bp, c *float32, ldc int)

func microKernel(kb int, alpha float32, ap, bp, c []float32, ldc int) {
	if !useAsm {
		kernel6x16Go(kb, alpha, ap, bp, c, ldc)
		return
	}
	// Bounds the assembly relies on, checked once per tile.
	_ = ap[kb*mr-1]
	_ = bp[kb*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	kernel6x16AVX2(kb, alpha, &ap[0], &bp[0], &c[0], ldc)
}

// Backend names the micro-kernel in use, for benchmarks and `circuitry bench`.
func Backend() string {
	if useAsm {
		return "avx2-fma"
	}
	return "go"
}
