//go:build !amd64 || noasm

package kernels

func availableKernels() []tileKernel { return []tileKernel{goKernel} }

const useSIMDUpdate = false

func sgdUpdateAVX2(w, grad *float32, n int, lr float32, nonneg bool) { panic("unreachable") }

func subScaleAVX(dst, a, b *float32, n int, scale float32) bool { panic("unreachable") }

func vonMisesArgAVX(dst, cosP, sinP *float64, n int, ct, st, kappa float64) { panic("unreachable") }

func narrowAVX(dst *float32, src *float64, n int) { panic("unreachable") }

func leakReLUAVX(cur, prev, u *float32, draws *float64, n int, keep, alpha float32, sd float64) {
	panic("unreachable")
}

func backReLUAVX(du, keep, dh, carry, u *float32, n int, alpha, k float32) { panic("unreachable") }

func localNormGradAVX2(o, di *float32, n int, c *normGradConsts) float64 { panic("unreachable") }

func localNormScaleAVX2(r, dr *float32, n int, dD, den float64) { panic("unreachable") }

func adamUpdateAVX2(w, grad, m, v *float32, n int, c *AdamStep) { panic("unreachable") }

const useF16C = false

func roundHalfF16C(dst, src *float32, n int) { panic("unreachable") }

func halfEpilogueF16C(dst, src *float32, n int, alpha float32, scale, acc bool) { panic("unreachable") }

const useSIMDExp = false

func expAVX2(dst, src *float64, n int) int { panic("unreachable") }

func copyRows(dst, src []float32, ld, rows, nr int) bool { return false }

const useAVXCopy = false

func transposeRowsSIMD(dst, src []float32, ld, ldd, rows, kb int) (k, r int) { return 0, 0 }
