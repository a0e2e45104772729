package ei

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Variant is how the normalising operator N passes errors backward. N is
// the identity in the forward pass (the inhibition has already normalised
// z); with g = dL/dz at N's output and s_z = sqrt(var_k z + 1e-5):
//
//	none        g                                          (inference-only normalisation)
//	full        (g - mean(g) - z*sum_k(g_k z_k)/ne) / s_z  ("GradNorm")
//	center      g - mean(g)
//	fa_center   g - w.g, w fixed positive, sum 1           (lateral inhibition)
//	scale       g / s_z
//	decorrelate g - z*sum_k(g_k z_k)/ne
//
// with the raw z, as the study writes and the authors' code computes.
// With standardized (the option model.zhat_backward) full and decorrelate
// use ẑ = (z - mean(z)) / s_z instead, which makes full exactly the
// layer-norm Jacobian at any z; the two differ whenever the learned
// normalisation is imperfect (the study reports I-Norm variance ~0.74 at
// eps 0.75), which is where the variants differ.
type Variant int

// The backward variants of the study.
const (
	None Variant = iota
	Full
	Center
	FACenter
	Scale
	Decorrelate
)

var variantNames = []string{"none", "full", "center", "fa_center", "scale", "decorrelate"}

func (v Variant) String() string { return variantNames[v] }

// VariantNames lists the accepted names, for config errors.
func VariantNames() []string { return append([]string(nil), variantNames...) }

// ParseVariant maps a config name to a Variant.
func ParseVariant(s string) (Variant, error) {
	for i, n := range variantNames {
		if n == s {
			return Variant(i), nil
		}
	}
	return 0, fmt.Errorf("unknown backward variant %q: want one of %v", s, variantNames)
}

// FAWeights draws the fixed lateral-inhibition weights of fa_center:
// w = u / sum(u), u ~ U(0, 1)^n.
func FAWeights(n int, rng *rand.Rand) []float32 {
	u := make([]float64, n)
	var s float64
	for i := range u {
		u[i] = rng.Float64()
		s += u[i]
	}
	w := make([]float32, n)
	for i := range u {
		w[i] = float32(u[i] / s)
	}
	return w
}

// normEps is the epsilon inside every standard deviation of the study.
const normEps = 1e-5

// BackwardRow applies variant v to one sample: dst = N_v^T g at z, with
// the raw z (standardized false, the study's) or ẑ in full and
// decorrelate. w is used only by FACenter. dst may alias g.
func (v Variant) BackwardRow(dst, g, z, w []float32, standardized bool) {
	n := float64(len(g))
	var sg, sgz, sz, szz float64
	for k, gv := range g {
		sg += float64(gv)
		sgz += float64(gv) * float64(z[k])
		sz += float64(z[k])
		szz += float64(z[k]) * float64(z[k])
	}
	mz := sz / n
	inv := 1 / math.Sqrt(max(szz/n-mz*mz, 0)+normEps)
	invS := float32(inv)
	mg := float32(sg / n)
	// The decorrelating term c*zz(k): raw, sum(g z)/n times z; or
	// standardized, mean(g ẑ) = (mean(g z) - mean(g) mean(z)) / s_z times ẑ.
	// The loops below are written out for each case: a function value
	// for zz(k) was an indirect call per element (a fifth of this
	// function's time in the float16 preset step), the arithmetic the same.
	c := float32(sgz / n)
	if standardized {
		c = float32((sgz/n - (sg/n)*mz) * inv)
	}
	switch v {
	case None:
		copy(dst, g)
	case Full:
		if standardized {
			for k, gv := range g {
				zz := float32((float64(z[k]) - mz) * inv)
				dst[k] = (gv - mg - zz*c) * invS
			}
			break
		}
		for k, gv := range g {
			dst[k] = (gv - mg - z[k]*c) * invS
		}
	case Center:
		for k, gv := range g {
			dst[k] = gv - mg
		}
	case FACenter:
		var wg float64
		for k, gv := range g {
			wg += float64(w[k]) * float64(gv)
		}
		for k, gv := range g {
			dst[k] = gv - float32(wg)
		}
	case Scale:
		for k, gv := range g {
			dst[k] = gv * invS
		}
	case Decorrelate:
		if standardized {
			for k, gv := range g {
				zz := float32((float64(z[k]) - mz) * inv)
				dst[k] = gv - zz*c
			}
			break
		}
		for k, gv := range g {
			dst[k] = gv - z[k]*c
		}
	}
}
