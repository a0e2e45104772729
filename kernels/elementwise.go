package kernels

import "math"

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

// LeakReLU sets cur[i] = keep*prev[i] + alpha*max(u[i], 0), plus
// float32(sd*draws[i]) when draws is not nil (a leaky ReLU network's step
// and its noise, the draws taken in order beforehand), with the Go loop's
// bits: four at a time where the CPU has AVX2 and Go does not fuse
// multiply-adds.
func LeakReLU(cur, prev, u []float32, keep, alpha float32, draws []float64, sd float64) {
	prev, u = prev[:len(cur)], u[:len(cur)]
	if draws != nil {
		draws = draws[:len(cur)]
	}
	n := 0
	if useSIMDUpdate && !goFusesMulAdd && len(cur) >= 4 {
		n = len(cur) &^ 3
		var d *float64
		if draws != nil {
			d = &draws[0]
		}
		leakReLUAVX(&cur[0], &prev[0], &u[0], d, n, keep, alpha, sd)
	}
	for i := n; i < len(cur); i++ {
		v := keep*prev[i] + alpha*max(u[i], 0)
		if draws != nil {
			v += float32(sd * draws[i])
		}
		cur[i] = v
	}
}

// BackReLU is a leaky ReLU network's backward step through one time
// step: g = dh[i] + carry[i], keepOut[i] = k*g and du[i] = alpha*d*g with
// d = 1 where u[i] > 0, else 0. Eight at a time where the CPU has AVX2
// and alpha > 0 (then alpha*0 is +0, the mask's zero), with the loop's bits.
func BackReLU(du, keepOut, dh, carry, u []float32, alpha, k float32) {
	keepOut, dh, carry, u = keepOut[:len(du)], dh[:len(du)], carry[:len(du)], u[:len(du)]
	n := 0
	if useSIMDUpdate && alpha > 0 && alpha <= math.MaxFloat32 && len(du) >= 8 {
		n = len(du) &^ 7
		backReLUAVX(&du[0], &keepOut[0], &dh[0], &carry[0], &u[0], n, alpha, k)
	}
	for i := n; i < len(du); i++ {
		g := dh[i] + carry[i]
		keepOut[i] = k * g
		var d float32
		if u[i] > 0 {
			d = 1
		}
		du[i] = alpha * d * g
	}
}
