package kernels

// normGradConsts are localNormGradAVX2's scalars; the field order is the
// assembly's.
type normGradConsts struct {
	A, B, M, Scale, NE, D float64 // 2m, 4(vr-1), m, scale, ne, d
}

// LocalNormGrad computes one sample's gradients of an I-Norm layer's local
// loss (ei.INorm.LocalBackward derives them): with o the sample's
// normalised activity (ne values, mean m, variance vr), d its divisive
// signal D, r its divisive drive and scale = lambda / batch,
//
//	do_k = scale (2m + 4(vr-1)(o_k - m)) / ne
//	di_k = -do_k / d
//	dD   = -sum_k do_k o_k / d        (summed in k order)
//	dr_k = dD r_k / (ne d)
//
// in float64, rounded to float32 on storing. Four lanes at a time where the
// CPU has AVX2, every operation the scalar loop's (bit-identical).
func LocalNormGrad(o, r, di, dr []float32, m, vr, scale, d float64) {
	localNormGrad(o, r, di, dr, m, vr, scale, d, useSIMDUpdate)
}

// localNormGrad is LocalNormGrad, with the AVX2 loops where simd; it
// returns dD (tests compare it: a last-bit difference there rarely shows
// in the float32 outputs of one sample, but does over a training run).
func localNormGrad(o, r, di, dr []float32, m, vr, scale, d float64, simd bool) float64 {
	ne := len(o)
	r, di, dr = r[:ne], di[:ne], dr[:ne]
	c := normGradConsts{A: 2 * m, B: 4 * (vr - 1), M: m, Scale: scale, NE: float64(ne), D: d}
	var dD float64
	k := 0
	if simd && ne >= 4 {
		k = ne &^ 3
		dD = localNormGradAVX2(&o[0], &di[0], k, &c)
	}
	for ; k < ne; k++ {
		v := float64(o[k])
		// The conversions forbid fusing a multiply and an add into one
		// FMA (Go may, at GOAMD64=v3): the assembly does not either.
		do := float64(c.Scale*float64(c.A+float64(c.B*(v-c.M)))) / c.NE
		di[k] = float32(-do / d)
		dD -= float64(do*v) / d
	}
	den := float64(ne) * d
	k = 0
	if simd && ne >= 4 {
		k = ne &^ 3
		localNormScaleAVX2(&r[0], &dr[0], k, dD, den)
	}
	for ; k < ne; k++ {
		dr[k] = float32(float64(dD*float64(r[k])) / den)
	}
	return dD
}
