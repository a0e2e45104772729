package kernels

// SubScale sets dst[i] = (a[i] - b[i]) * scale, a float32 difference and
// a float32 product (the gradient of a mean squared error), and reports
// whether every difference was finite: the mean of their squares is then
// finite too (a float64 sum of float32 squares cannot overflow), so a
// caller can tell a diverged network without summing the loss. Eight at a
// time where the CPU has AVX2, with the loop's bits.
func SubScale(dst, a, b []float32, scale float32) bool {
	a, b = a[:len(dst)], b[:len(dst)]
	finite := true
	n := 0
	if useSIMDUpdate && len(dst) >= 8 {
		n = len(dst) &^ 7
		finite = subScaleAVX(&dst[0], &a[0], &b[0], n, scale)
	}
	for i := n; i < len(dst); i++ {
		d := a[i] - b[i]
		dst[i] = d * scale
		finite = finite && d-d == 0
	}
	return finite
}

// VonMisesExponent sets dst[i] = kappa * (ct*cosP[i] + st*sinP[i] - 1),
// the exponent of a von Mises tuning curve with preferred direction
// (cosP[i], sinP[i]) at the heading (ct, st). Four at a time where the CPU
// has AVX2 and Go does not fuse the multiply-adds (GOAMD64 below v3),
// with the loop's bits.
func VonMisesExponent(dst, cosP, sinP []float64, ct, st, kappa float64) {
	cosP, sinP = cosP[:len(dst)], sinP[:len(dst)]
	n := 0
	if useSIMDUpdate && !goFusesMulAdd && len(dst) >= 4 {
		n = len(dst) &^ 3
		vonMisesArgAVX(&dst[0], &cosP[0], &sinP[0], n, ct, st, kappa)
	}
	for i := n; i < len(dst); i++ {
		dst[i] = kappa * (ct*cosP[i] + st*sinP[i] - 1)
	}
}

// Narrow sets dst[i] = float32(src[i]) (rounded to nearest), four at a
// time where the CPU has AVX2.
func Narrow(dst []float32, src []float64) {
	src = src[:len(dst)]
	n := 0
	if useSIMDUpdate && len(dst) >= 4 {
		n = len(dst) &^ 3
		narrowAVX(&dst[0], &src[0], n)
	}
	for i := n; i < len(dst); i++ {
		dst[i] = float32(src[i])
	}
}
