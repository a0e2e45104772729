//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

//go:generate go run ./internal/asmgen -o sgemm_amd64.s

// kernel6x16AVX2 is kernel6x16Go in AVX2/FMA assembly; kb > 0.
//
//go:noescape
func kernel6x16AVX2(kb int, alpha float32, ap, bp, c *float32, ldc int)

// kernel12x32AVX512 is the 12x32 tile in AVX-512 (24 of the 32 vector
// registers accumulate); kb > 0.
//
//go:noescape
func kernel12x32AVX512(kb int, alpha float32, ap, bp, c *float32, ldc int)

// sgdUpdateAVX2 is sgdUpdateGo on n (a positive multiple of 8) floats.
//
//go:noescape
func sgdUpdateAVX2(w, grad *float32, n int, lr float32, nonneg bool)

// useSIMDUpdate: the element-wise update kernels need AVX2.
var useSIMDUpdate = cpu.X86.HasAVX2

// availableKernels lists what the CPU (and OS) supports, best first;
// x/sys/cpu reports AVX-512 only when the OS saves its registers.
func availableKernels() []tileKernel {
	var ks []tileKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, tileKernel{"avx512", 12, 32, avx512Kernel})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, tileKernel{"avx2-fma", 6, 16, avx2Kernel})
	}
	return append(ks, goKernel)
}

// The wrappers check once per tile the bounds the assembly relies on.
func avx2Kernel(kb int, alpha float32, ap, bp, c []float32, ldc int) {
	_ = ap[kb*6-1]
	_ = bp[kb*16-1]
	_ = c[5*ldc+15]
	kernel6x16AVX2(kb, alpha, &ap[0], &bp[0], &c[0], ldc)
}

func avx512Kernel(kb int, alpha float32, ap, bp, c []float32, ldc int) {
	_ = ap[kb*12-1]
	_ = bp[kb*32-1]
	_ = c[11*ldc+31]
	kernel12x32AVX512(kb, alpha, &ap[0], &bp[0], &c[0], ldc)
}
