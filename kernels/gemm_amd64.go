//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

//go:generate go run ./internal/asmgen -o sgemm_amd64.s

// The Direct kernels are the ones without the suffix reading B in place:
// row p of the tile's nr columns at b + p*ldb (floats), not a packed panel.
//
//go:noescape
func kernel6x16AVX2Direct(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)

//go:noescape
func kernel12x32AVX512Direct(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)

//go:noescape
func kernel2x16AVX2Direct(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)

//go:noescape
func kernel4x16AVX2Direct(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)

//go:noescape
func kernel4x32AVX512Direct(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)

//go:noescape
func kernel8x32AVX512Direct(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)

// kernel6x16AVX2 is kernel6x16Go in AVX2/FMA assembly; kb > 0.
//
//go:noescape
func kernel6x16AVX2(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)

// kernel12x32AVX512 is the 12x32 tile in AVX-512 (24 of the 32 vector
// registers accumulate); kb > 0.
//
//go:noescape
func kernel12x32AVX512(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)

//go:noescape
func kernel2x16AVX2(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)

//go:noescape
func kernel4x16AVX2(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)

//go:noescape
func kernel4x32AVX512(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)

//go:noescape
func kernel8x32AVX512(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)

// dot4x4AVX512 and dot2x3AVX2 compute a tile of dot products of k elements
// of rows of A and rows of B in the same lane order (identical bits):
// the first k &^ 15 (k >= 16) in 16 lanes, then the rest in order. They
// store the tile's rows 4 floats apart or 3 apart (dot2x3AVX2 writes one
// float past its 6).
//
//go:noescape
func dot4x4AVX512(k int, a *float32, lda int, b *float32, ldb int, out *float32)

//go:noescape
func dot2x3AVX2(k int, a *float32, lda int, b *float32, ldb int, out *float32)

// copyRows<n>AVX copy rows rows of n floats (see copyRows).
//
//go:noescape
func copyRows6AVX(dst, src *float32, ld, rows int)

//go:noescape
func copyRows12AVX(dst, src *float32, ld, rows int)

//go:noescape
func copyRows16AVX(dst, src *float32, ld, rows int)

//go:noescape
func copyRows32AVX(dst, src *float32, ld, rows int)

// copyRows copies rows rows of n floats from src, ld apart, to dst back to
// back, and reports whether it could (AVX; n 16 or 32, a packed B panel's
// width, or 6 or 12, a packed A panel's height when A is stored k x m).
func copyRows(dst, src []float32, ld, rows, n int) bool {
	if !useAVXCopy || rows <= 0 {
		return false
	}
	var copyFn func(dst, src *float32, ld, rows int)
	switch n {
	case 6:
		copyFn = copyRows6AVX
	case 12:
		copyFn = copyRows12AVX
	case 16:
		copyFn = copyRows16AVX
	case 32:
		copyFn = copyRows32AVX
	default:
		return false
	}
	_ = dst[rows*n-1]
	_ = src[(rows-1)*ld+n-1]
	copyFn(&dst[0], &src[0], ld, rows)
	return true
}

// transposeRowsAVX is transposeRows on blocks blocks of 8 k of 4*quads
// rows, and 2 more when pair (see transposeRows).
//
//go:noescape
func transposeRowsAVX(dst, src *float32, ld, ldd, quads int, pair bool, blocks int)

// transposeRowsSIMD packs the leading kb &^ 7 k of the leading rows &^ 1
// rows, as transposeRows, and reports how many of each it did (none
// without AVX). The caller has checked both slices' bounds.
func transposeRowsSIMD(dst, src []float32, ld, ldd, rows, kb int) (k, r int) {
	if !useAVXCopy || rows < 2 || kb < 8 {
		return 0, 0
	}
	transposeRowsAVX(&dst[0], &src[0], ld, ldd, rows/4, rows%4 >= 2, kb/8)
	return kb &^ 7, rows &^ 1
}

// useAVXCopy: copyRows and transposeRows move 32-byte AVX registers.
var useAVXCopy = cpu.X86.HasAVX

// sgdUpdateAVX2 is sgdUpdateGo on n (a positive multiple of 8) floats.
//
//go:noescape
func sgdUpdateAVX2(w, grad *float32, n int, lr float32, nonneg bool)

// adamUpdateAVX2 is adamUpdateGo on n (a positive multiple of 8) floats.
//
//go:noescape
func adamUpdateAVX2(w, grad, m, v *float32, n int, c *AdamStep)

// expAVX2 is math.Exp on the leading groups of 4 of n (a positive
// multiple of 4) float64s; it returns how many it did (see Exp).
//
//go:noescape
func expAVX2(dst, src *float64, n int) int

// roundHalfF16C is roundHalfGo on n (a positive multiple of 8) floats.
//
//go:noescape
func roundHalfF16C(dst, src *float32, n int)

// halfEpilogueF16C is halfEpilogueGo on n (a positive multiple of 8) floats.
//
//go:noescape
func halfEpilogueF16C(dst, src *float32, n int, alpha float32, scale, acc bool)

// localNormGradAVX2 and localNormScaleAVX2 are LocalNormGrad's two loops
// on n (a positive multiple of 4) elements.
//
//go:noescape
func localNormGradAVX2(o, di *float32, n int, c *normGradConsts) float64

//go:noescape
func localNormScaleAVX2(r, dr *float32, n int, dD, den float64)

// subScaleAVX, vonMisesArgAVX and narrowAVX are SubScale,
// VonMisesExponent and Narrow on n (a positive multiple of 8, 4, 4)
// elements.
//
//go:noescape
func subScaleAVX(dst, a, b *float32, n int, scale float32) bool

//go:noescape
func vonMisesArgAVX(dst, cosP, sinP *float64, n int, ct, st, kappa float64)

//go:noescape
func narrowAVX(dst *float32, src *float64, n int)

// leakReLUAVX and backReLUAVX are LeakReLU and BackReLU on n (a positive
// multiple of 4, 8) units.
//
//go:noescape
func leakReLUAVX(cur, prev, u *float32, draws *float64, n int, keep, alpha float32, sd float64)

//go:noescape
func backReLUAVX(du, keep, dh, carry, u *float32, n int, alpha, k float32)

// useSIMDUpdate: the element-wise update kernels need AVX2.
var useSIMDUpdate = cpu.X86.HasAVX2

// useSIMDExp: expAVX2 needs AVX2 and FMA; math.Exp takes its FMA path on
// exactly such CPUs (and more), so the two agree wherever it runs.
var useSIMDExp = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useF16C: the half-rounding kernel needs F16C (and AVX for its registers).
var useF16C = cpu.X86.HasF16C && cpu.X86.HasAVX

// availableKernels lists what the CPU (and OS) supports, best first;
// x/sys/cpu reports AVX-512 only when the OS saves its registers.
func availableKernels() []tileKernel {
	var ks []tileKernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		ks = append(ks, tileKernel{name: "avx512", mr: 12, nr: 32, fn: checked(12, 12, 32, kernel12x32AVX512), dotM: 4, dotN: 4, dot: dotAVX512,
			edges:  []edgeKernel{edge(4, 12, 32, kernel4x32AVX512, kernel4x32AVX512Direct), edge(8, 12, 32, kernel8x32AVX512, kernel8x32AVX512Direct)},
			direct: checkedDirect(12, 12, 32, kernel12x32AVX512Direct)})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, tileKernel{name: "avx2-fma", mr: 6, nr: 16, fn: checked(6, 6, 16, kernel6x16AVX2), dotM: 2, dotN: 3, dot: dotAVX2,
			edges:  []edgeKernel{edge(2, 6, 16, kernel2x16AVX2, kernel2x16AVX2Direct), edge(4, 6, 16, kernel4x16AVX2, kernel4x16AVX2Direct)},
			direct: checkedDirect(6, 6, 16, kernel6x16AVX2Direct)})
	}
	return append(ks, goKernel)
}

// checked wraps an assembly tile kernel that reads A panels of panel rows
// per k and writes rows rows of nr columns of C, checking once per tile the
// bounds the assembly relies on.
func checked(rows, panel, nr int, kernel func(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8)) func(kb int, alpha float32, ap, bp, c []float32, ldc int, mode uint8) {
	return func(kb int, alpha float32, ap, bp, c []float32, ldc int, mode uint8) {
		_, _, _ = ap[kb*panel-1], bp[kb*nr-1], c[(rows-1)*ldc+nr-1]
		kernel(kb, alpha, &ap[0], &bp[0], &c[0], ldc, mode)
	}
}

// checkedDirect is checked for a kernel reading B in place: kb rows of nr
// floats, ldb apart.
func checkedDirect(rows, panel, nr int, kernel func(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)) directFn {
	return func(kb int, alpha float32, ap, b []float32, ldb int, c []float32, ldc int, mode uint8) {
		_, _, _ = ap[kb*panel-1], b[(kb-1)*ldb+nr-1], c[(rows-1)*ldc+nr-1]
		kernel(kb, alpha, &ap[0], &b[0], ldb, &c[0], ldc, mode)
	}
}

// edge is an edge kernel (see tileKernel.edges) over full-size A panels,
// from packed B panels and from B in place.
func edge(rows, panel, nr int, kernel func(kb int, alpha float32, ap, bp, c *float32, ldc int, mode uint8),
	direct func(kb int, alpha float32, ap, b *float32, ldb int, c *float32, ldc int, mode uint8)) edgeKernel {
	return edgeKernel{rows, checked(rows, panel, nr, kernel), checkedDirect(rows, panel, nr, direct)}
}

func dotAVX512(k int, a []float32, lda int, b []float32, ldb int, out []float32) {
	_ = a[3*lda+k-1]
	_ = b[3*ldb+k-1]
	_ = out[15]
	dot4x4AVX512(k, &a[0], lda, &b[0], ldb, &out[0])
}

func dotAVX2(k int, a []float32, lda int, b []float32, ldb int, out []float32) {
	_ = a[lda+k-1]
	_ = b[2*ldb+k-1]
	_ = out[6]
	dot2x3AVX2(k, &a[0], lda, &b[0], ldb, &out[0])
}
