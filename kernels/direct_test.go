package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Reading B in place (products of few rows, B not transposed) gives the
// packed path's bits: every kernel, full and edge row tiles, a partial
// last column panel, depths over one k block, storing, accumulating and
// the float16 epilogue, with 1 and 2 workers, and A stored transposed.
func TestDirectBIsThePackedPath(t *testing.T) {
	kerns := kernelsWith(t, "B read in place", func(k tileKernel) bool { return k.direct != nil })
	rng := rand.New(rand.NewPCG(13, 14))
	fill := func(n int, half bool) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			if half {
				x[i] = RoundHalfScalar(x[i])
			}
		}
		return x
	}
	defer func() { useDirectB = true }()
	for _, kern := range kerns {
		old, _ := UseKernel(kern.name)
		for _, s := range []struct{ m, n, k int }{{32, 500, 784}, {48, 64, 300}, {5, 33, 17}, {13, 96, 600}, {2, 16, 9}, {30, 40, 256}} {
			for _, c := range []struct {
				alpha, beta float32
				half        bool
			}{{1, 0, false}, {0.5, 1, false}, {1, 1, true}, {-1, 0, true}} {
				if c.half && s.k > kc {
					continue // the fused epilogue takes one k block
				}
				a, b, c0 := fill(s.m*s.k, c.half), fill(s.k*s.n, c.half), fill(s.m*s.n, false)
				for _, tc := range []struct {
					transA  bool
					workers int
				}{{false, 1}, {false, 2}, {true, 1}} { // A stored k x m: a weight gradient dW = dE^T X
					transA, workers := tc.transA, tc.workers
					lda := s.k
					if transA {
						lda = s.m
					}
					name := fmt.Sprintf("%s/%dx%dx%d/transA%v/alpha%v-beta%v-half%v", kern.name, s.m, s.n, s.k, transA, c.alpha, c.beta, c.half)
					var got [2][]float32
					for i, direct := range []bool{false, true} {
						useDirectB = direct
						got[i] = append([]float32(nil), c0...)
						if c.half {
							if !SgemmHalfN(workers, transA, false, s.m, s.n, s.k, c.alpha, a, lda, b, s.n, c.beta, got[i], s.n) {
								t.Fatalf("%s: not fused", name)
							}
						} else {
							SgemmN(workers, transA, false, s.m, s.n, s.k, c.alpha, a, lda, b, s.n, c.beta, got[i], s.n)
						}
					}
					for i := range got[0] {
						if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
							t.Fatalf("%s, %d workers: C[%d] packed %v, in place %v", name, workers, i, got[0][i], got[1][i])
						}
					}
				}
			}
		}
		UseKernel(old)
	}
}
