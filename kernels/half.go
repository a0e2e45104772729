package kernels

import "math"

// RoundHalf sets dst[i] to src[i] rounded to the nearest IEEE 754 binary16
// value (ties to even), as float32: |x| >= 65520 becomes inf, values below
// 2^-14 keep binary16's subnormal spacing 2^-24, NaN stays NaN. With F16C
// (every AVX2 CPU) 8 values per instruction pair, bit-identical to
// RoundHalfScalar. dst and src may be the same slice.
func RoundHalf(dst, src []float32) {
	src = src[:len(dst)]
	n := 0
	if useF16C && len(dst) >= 8 {
		n = len(dst) &^ 7
		roundHalfF16C(&dst[0], &src[0], n)
	}
	for i := n; i < len(dst); i++ {
		dst[i] = RoundHalfScalar(src[i])
	}
}

// RoundHalfScalar is RoundHalf for one value.
func RoundHalfScalar(f float32) float32 {
	b := math.Float32bits(f)
	sign, abs := b&0x80000000, b&0x7fffffff
	switch {
	case abs >= 0x7f800000: // inf, NaN
		return f
	case abs >= 0x477ff000: // >= 65520: past the midpoint to 2^16
		return math.Float32frombits(sign | 0x7f800000)
	case abs < 0x38800000: // below 2^-14: binary16 subnormal, step 2^-24
		q := math.RoundToEven(float64(math.Float32frombits(abs)) * (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(float32(q/(1<<24))))
	}
	// Normal: keep 10 of the 23 mantissa bits, rounding to nearest even.
	abs += 0xfff + (abs>>13)&1
	return math.Float32frombits(sign | abs&^0x1fff)
}

// HalfEpilogue finishes a float16-autocast product whose float32
// accumulators are in src: each is rounded to binary16 (autocast's fp16
// result) and, when alpha != 1, multiplied by alpha and rounded again (a
// scaled fp16 tensor stays fp16); the value is then stored in dst, or
// added to it when acc (a float32 gradient accumulating fp16 products):
//
//	v := RoundHalfScalar(src[i])
//	if alpha != 1 { v = RoundHalfScalar(alpha * v) }
//	if acc { dst[i] += v } else { dst[i] = v }
//
// With F16C 8 values at a time, bit-identical to that loop. dst and src
// may be the same slice.
func HalfEpilogue(dst, src []float32, alpha float32, acc bool) {
	src = src[:len(dst)]
	n := 0
	if useF16C && len(dst) >= 8 {
		n = len(dst) &^ 7
		halfEpilogueF16C(&dst[0], &src[0], n, alpha, alpha != 1, acc)
	}
	halfEpilogueGo(dst[n:], src[n:], alpha, acc)
}

// halfEpilogueGo is HalfEpilogue's definition, one value at a time.
func halfEpilogueGo(dst, src []float32, alpha float32, acc bool) {
	for i, v := range src[:len(dst)] {
		v = RoundHalfScalar(v)
		if alpha != 1 {
			v = RoundHalfScalar(alpha * v)
		}
		if acc {
			dst[i] += v
		} else {
			dst[i] = v
		}
	}
}
