package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// SGDUpdate must equal the Go loop bit for bit, on every length (tails),
// with and without the projection, including NaN, -0 and values that
// cross zero.
func TestSGDUpdateMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 64, 1000} {
		for _, nonneg := range []bool{false, true} {
			w, g := make([]float32, n), make([]float32, n)
			for i := range w {
				w[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			if n > 9 {
				w[3], w[5], g[5] = float32(math.NaN()), float32(math.Copysign(0, -1)), 0
			}
			want := append([]float32(nil), w...)
			sgdUpdateGo(want, g, 0.3, nonneg)
			SGDUpdate(w, g, 0.3, nonneg)
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d nonneg=%v: w[%d] = %v (%#x), want %v (%#x)", n, nonneg, i, w[i], math.Float32bits(w[i]), want[i], math.Float32bits(want[i]))
				}
				if nonneg && w[i] < 0 {
					t.Fatalf("n=%d: w[%d] = %v < 0 after projection", n, i, w[i])
				}
			}
		}
	}
}

func BenchmarkSGDUpdate(b *testing.B) {
	w, g := make([]float32, 650_000), make([]float32, 650_000)
	for i := range w {
		w[i], g[i] = float32(i%7)-3, float32(i%5)-2
	}
	b.SetBytes(12 * int64(len(w)))
	for b.Loop() {
		SGDUpdate(w, g, 1e-3, true)
	}
}
