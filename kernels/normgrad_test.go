package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// localNormGradLoops is ei.INorm.LocalBackward's per-sample loops as they
// were written before LocalNormGrad (the reference for its bits).
func localNormGradLoops(o, r, di, dr []float32, m, vr, scale, d float64) float64 {
	ne := len(o)
	var dD float64
	for k, v := range o {
		do := scale * (2*m + 4*(vr-1)*(float64(v)-m)) / float64(ne)
		di[k] = float32(-do / d)
		dD -= do * float64(v) / d
	}
	for k, rv := range r {
		dr[k] = float32(dD * float64(rv) / (float64(ne) * d))
	}
	return dD
}

// LocalNormGrad gives the loops' bits for every width (the vector part and
// the remainder), on this CPU's path and on the scalar one.
func TestLocalNormGradIsTheLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, vec := range []bool{useSIMDUpdate, false} {
		for _, ne := range []int{1, 3, 4, 5, 8, 13, 178, 242, 283} {
			for trial := 0; trial < 20; trial++ {
				o, r := make([]float32, ne), make([]float32, ne)
				var s, ss float64
				for k := range o {
					o[k] = float32(rng.NormFloat64()*1.3 + 0.2)
					r[k] = float32(rng.NormFloat64() * 3)
					s += float64(o[k])
				}
				m := s / float64(ne)
				for _, v := range o {
					ss += (float64(v) - m) * (float64(v) - m)
				}
				vr, scale, d := ss/float64(ne), 0.01/32, 0.5+rng.Float64()*4
				di, dr := make([]float32, ne), make([]float32, ne)
				wdi, wdr := make([]float32, ne), make([]float32, ne)
				dD := localNormGrad(o, r, di, dr, m, vr, scale, d, vec)
				if want := localNormGradLoops(o, r, wdi, wdr, m, vr, scale, d); math.Float64bits(dD) != math.Float64bits(want) {
					t.Fatalf("simd %v, ne %d: dD %v, the loops %v", vec, ne, dD, want)
				}
				for k := 0; k < ne; k++ {
					if math.Float32bits(di[k]) != math.Float32bits(wdi[k]) || math.Float32bits(dr[k]) != math.Float32bits(wdr[k]) {
						t.Fatalf("simd %v, ne %d, k %d: di %v dr %v, the loops %v %v", vec, ne, k, di[k], dr[k], wdi[k], wdr[k])
					}
				}
			}
		}
	}
}
