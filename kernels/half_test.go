package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The F16C kernel gives RoundHalfScalar's bits: on every binary16 value and
// the midpoints around it (ties), on 2^22 random float32 bit patterns
// (subnormals, overflow, NaN included), and on slices whose length is not
// a multiple of 8.
func TestRoundHalfKernelMatchesScalar(t *testing.T) {
	if !useF16C {
		t.Skip("no F16C: RoundHalf is RoundHalfScalar")
	}
	var src []float32
	for h := uint32(0); h < 0x10000; h++ {
		// float32 bits near each binary16 value: the value (exact), and
		// one ulp around the float32 midpoints to the next.
		e := (h >> 10) & 0x1f
		if e == 0 || e == 31 {
			continue
		}
		f := ((h & 0x8000) << 16) | ((e - 15 + 127) << 23) | ((h & 0x3ff) << 13)
		src = append(src, math.Float32frombits(f), math.Float32frombits(f+0x1000), math.Float32frombits(f+0xfff), math.Float32frombits(f+0x1001))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1 << 22 {
		src = append(src, math.Float32frombits(rng.Uint32()))
	}
	src = append(src, 65519, 65520, -65520, 6e-8, 3e-8, 2.9e-8, float32(math.Inf(1)), float32(math.NaN()), 0, float32(math.Copysign(0, -1)))
	for _, n := range []int{len(src), len(src) - 3, 7, 1} {
		dst := make([]float32, n)
		RoundHalf(dst, src[:n])
		for i, v := range dst {
			want := RoundHalfScalar(src[i])
			if math.IsNaN(float64(want)) && math.IsNaN(float64(v)) {
				continue
			}
			if math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("n %d: %g (%#08x) -> %g (%#08x), scalar %g (%#08x)", n, src[i], math.Float32bits(src[i]), v, math.Float32bits(v), want, math.Float32bits(want))
			}
		}
	}
	// In place.
	x := append([]float32(nil), src[:100]...)
	RoundHalf(x, x)
	for i, v := range x {
		if w := RoundHalfScalar(src[i]); v != w && !(math.IsNaN(float64(v)) && math.IsNaN(float64(w))) {
			t.Fatalf("in place: %v, want %v", v, w)
		}
	}
}

func BenchmarkRoundHalf(b *testing.B) {
	src := make([]float32, 784*500)
	for i := range src {
		src[i] = float32(i) * 1e-3
	}
	dst := make([]float32, len(src))
	b.Run("f16c", func(b *testing.B) {
		for b.Loop() {
			RoundHalf(dst, src)
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				dst[i] = RoundHalfScalar(v)
			}
		}
	})
}

// The vectorised epilogue of fp16 products gives the scalar definition's
// bits for every alpha case (1, -1, another scale), stored or accumulated,
// on random bit patterns (overflow, subnormals, NaN) and lengths that are
// not multiples of 8.
func TestHalfEpilogueMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 1<<16 + 5
	src, base := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = math.Float32frombits(rng.Uint32())
		base[i] = float32(rng.NormFloat64())
		if i%7 == 0 { // ordinary magnitudes too, where most products land
			src[i] = float32(rng.NormFloat64() * 10)
		}
	}
	for _, alpha := range []float32{1, -1, 0.37} {
		for _, acc := range []bool{false, true} {
			for _, m := range []int{n, n - 5, 13, 3} {
				got, want := append([]float32(nil), base[:m]...), append([]float32(nil), base[:m]...)
				HalfEpilogue(got, src[:m], alpha, acc)
				halfEpilogueGo(want, src[:m], alpha, acc)
				for i := range got {
					g, w := got[i], want[i]
					if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
						t.Fatalf("alpha %g acc %v n %d: src %g -> %g, definition %g", alpha, acc, m, src[i], g, w)
					}
				}
			}
		}
	}
	// In place (dst and src the same slice), stored.
	x := append([]float32(nil), src[:100]...)
	want := make([]float32, 100)
	halfEpilogueGo(want, src[:100], -1, false)
	HalfEpilogue(x, x, -1, false)
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(want[i]) && !(x[i] != x[i] && want[i] != want[i]) {
			t.Fatalf("in place: %g, want %g", x[i], want[i])
		}
	}
}

// SgemmHalfN's fused epilogue gives the bits of a float32 product into a
// scratch matrix followed by HalfEpilogue, for every kernel, full and edge
// tiles, both workers counts, alphas that scale and that do not, store and
// accumulate, and sums that are -0 (underflowing products) or overflow
// half (large rows); and it declines what it does not fuse.
func TestSgemmHalfMatchesEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	shapes := []struct{ m, n, k int }{{242, 784, 32}, {32, 784, 242}, {24, 784, 32}, {61, 45, 256}, {49, 33, 3}, {13, 7, 70}}
	forEachBackend(t, func(t *testing.T) {
		for _, s := range shapes {
			for _, tr := range [][2]bool{{true, false}, {false, false}, {false, true}} {
				if takesDotPath(tr[0], tr[1], s.m, s.k) {
					continue
				}
				a, b, lda, ldb := denseOperands(rng, s.m, s.n, s.k, tr[0], tr[1])
				if !tr[0] {
					for p := range s.k { // row 2 of op(A): sums past half's range
						a[2*s.k+p] *= 3000
					}
				}
				RoundHalf(a, a)
				RoundHalf(b, b)
				// Not half values, to reach what the kernel's + 0 is for: row 1
				// of op(A) tiny and negative, column 0 of op(B) tiny and
				// positive, so their products underflow to -0 (a sum of -0,
				// which a stored float32 product turns into +0).
				for p := range s.k {
					if tr[1] {
						b[p] = 1e-20
					} else {
						b[p*ldb] = 1e-20
					}
					if !tr[0] {
						a[s.k+p] = -1e-30
					}
				}
				prod := make([]float32, s.m*s.n)
				SgemmN(1, tr[0], tr[1], s.m, s.n, s.k, 1, a, lda, b, ldb, 0, prod, s.n)
				for _, workers := range []int{1, 2} {
					for _, alpha := range []float32{1, -1, 0.3} {
						for _, beta := range []float32{0, 1} {
							c0 := randMat(rng, s.m, s.n, s.n)[guard : guard+s.m*s.n]
							want, got := slices.Clone(c0), slices.Clone(c0)
							for i := range s.m {
								HalfEpilogue(want[i*s.n:(i+1)*s.n], prod[i*s.n:(i+1)*s.n], alpha, beta == 1)
							}
							if !SgemmHalfN(workers, tr[0], tr[1], s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, got, s.n) {
								t.Fatalf("%dx%dx%d trans %v: declined", s.m, s.n, s.k, tr)
							}
							for i := range got {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("%dx%dx%d trans %v workers %d alpha %g beta %g: c[%d] = %v (%#x), scratch + HalfEpilogue gives %v (%#x)",
										s.m, s.n, s.k, tr, workers, alpha, beta, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
								}
							}
						}
					}
				}
			}
		}
		c := make([]float32, 64*64)
		x := make([]float32, 64*300)
		for _, d := range []struct {
			name   string
			transB bool
			m, k   int
			beta   float32
		}{{"depth over one k block", false, 64, 300, 0}, {"beta 0.5", false, 64, 64, 0.5}, {"dot-product path", true, 32, 64, 0}} {
			if d.transB && !takesDotPath(false, true, d.m, d.k) { // the Go kernel has no dot path
				continue
			}
			if SgemmHalfN(1, false, d.transB, d.m, 64, d.k, 1, x, d.k, x, 64, d.beta, c, 64) {
				t.Errorf("%s: fused", d.name)
			}
		}
	})
}
