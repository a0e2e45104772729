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
//	full        (g - mean(g) - ẑ*sum_k(g_k ẑ_k)/ne) / s_z  (layer-norm Jacobian at z)
//	center      g - mean(g)
//	fa_center   g - w.g, w fixed positive, sum 1           (lateral inhibition)
//	scale       g / s_z
//	decorrelate g - ẑ*sum_k(g_k ẑ_k)/ne
//
// where ẑ = (z - mean(z)) / s_z. The study writes z for ẑ: the two agree
// when z is already normalised, which the inhibition ensures (|mean| <
// 0.05, var ~ 1 in trained layers); using ẑ makes full exactly the
// layer-norm Jacobian at any z.
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

// BackwardRow applies variant v to one sample: dst = N_v^T g at z. w is
// used only by FACenter. dst may alias g.
func (v Variant) BackwardRow(dst, g, z, w []float32) {
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
	// mean(g ẑ) = (mean(g z) - mean(g) mean(z)) / s_z
	mg, cgz := float32(sg/n), float32((sgz/n-(sg/n)*mz)*inv)
	zhat := func(k int) float32 { return float32((float64(z[k]) - mz) * inv) }
	switch v {
	case None:
		copy(dst, g)
	case Full:
		for k, gv := range g {
			dst[k] = (gv - mg - zhat(k)*cgz) * invS
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
		for k, gv := range g {
			dst[k] = gv - zhat(k)*cgz
		}
	}
}
