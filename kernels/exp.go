package kernels

import "math"

// Exp sets dst[i] = math.Exp(src[i]) for every i < len(dst), with
// math.Exp's bits: four at a time where the CPU has AVX2 and FMA (the
// operations of Go's own amd64 exp, lane by lane, its underflow and
// subnormal results included), math.Exp itself elsewhere and for NaN,
// infinities and overflow. dst may be src.
func Exp(dst, src []float64) {
	src = src[:len(dst)]
	i := 0
	if useSIMDExp {
		for i+4 <= len(dst) {
			i += expAVX2(&dst[i], &src[i], (len(dst)-i)&^3)
			if i+4 <= len(dst) { // a group with a special case
				for j := i; j < i+4; j++ {
					dst[j] = math.Exp(src[j])
				}
				i += 4
			}
		}
	}
	for ; i < len(dst); i++ {
		dst[i] = math.Exp(src[i])
	}
}

// Scratch returns buf[:n] when buf is long enough and a new slice
// otherwise: callers pass a stack array, so rows of the usual sizes
// allocate nothing.
func Scratch(buf []float64, n int) []float64 {
	if n > len(buf) {
		return make([]float64, n)
	}
	return buf[:n]
}
