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

// adamStepAt returns step t's scalars as nn.Adam forms them.
func adamStepAt(t int, lr, wd float64) *AdamStep {
	b1, b2 := float32(0.9), float32(0.999)
	c1, c2 := 1-math.Pow(0.9, float64(t)), 1-math.Pow(0.999, float64(t))
	return &AdamStep{B1: b1, OneMinusB1: 1 - b1, B2: b2, OneMinusB2: 1 - b2,
		StepSize: float32(lr / c1), InvC2: float32(1 / math.Sqrt(c2)), Eps: 1e-8, WeightDecay: float32(wd)}
}

// AdamUpdate must equal the Go loop bit for bit on every length (tails),
// over several steps (moments carried), with and without weight decay,
// through NaN, -0, zero gradients and magnitudes from 1e-30 to 1e30; and
// the Go loop must be the textbook update with each operation rounded.
func TestAdamUpdateMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 64, 1000} {
		for _, wd := range []float64{0, 0.01} {
			w, g := make([]float32, n), make([]float32, n)
			m, v := make([]float32, n), make([]float32, n)
			for i := range w {
				w[i] = float32(rng.NormFloat64())
			}
			ww, wm, wv := append([]float32(nil), w...), make([]float32, n), make([]float32, n)
			for step := 1; step <= 4; step++ {
				for i := range g {
					g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(61)-30)))
				}
				if n > 9 {
					g[2], w[3], ww[3], w[5], ww[5], g[5] = 0, float32(math.NaN()), float32(math.NaN()), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
				}
				c := adamStepAt(step, 1e-3, wd)
				adamUpdateGo(ww, g, wm, wv, c)
				AdamUpdate(w, g, m, v, c)
				for i := range w {
					for _, p := range [][2]float32{{w[i], ww[i]}, {m[i], wm[i]}, {v[i], wv[i]}} {
						if math.Float32bits(p[0]) != math.Float32bits(p[1]) {
							t.Fatalf("n=%d wd=%v step %d: element %d: %v (%#x), want %v (%#x)", n, wd, step, i, p[0], math.Float32bits(p[0]), p[1], math.Float32bits(p[1]))
						}
					}
				}
			}
		}
	}
	// One element by hand: g = 2, w = 1, wd = 0.5, first step from zero
	// moments: d = 2.5, m = 0.25, v = 0.00625, step = lr/0.1 * m /
	// (sqrt(v)/sqrt(0.001) + eps) = 0.01 * 0.25 / 2.5 = 0.001.
	w, m, v := []float32{1}, []float32{0}, []float32{0}
	adamUpdateGo(w, []float32{2}, m, v, adamStepAt(1, 1e-3, 0.5))
	// (float32 betas: 1 - beta2 = 0.000999987, so v is 1.3e-5 low.)
	if math.Abs(float64(w[0])-0.999) > 1e-6 || math.Abs(float64(m[0])/0.25-1) > 1e-5 || math.Abs(float64(v[0])/0.00625-1) > 1e-4 {
		t.Fatalf("w %v m %v v %v; want 0.999, 0.25, 0.00625", w[0], m[0], v[0])
	}
}

func BenchmarkAdamUpdate(b *testing.B) {
	const n = 650_000 // the demo MLP's parameters
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i], g[i] = float32(i%7)-3, float32(i%5)-2
	}
	c := adamStepAt(10, 1e-3, 0)
	b.SetBytes(28 * n)
	b.Run("simd", func(b *testing.B) {
		for b.Loop() {
			AdamUpdate(w, g, m, v, c)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			adamUpdateGo(w, g, m, v, c)
		}
	})
}

// Split across goroutines, the update gives the one-goroutine bits.
func TestAdamUpdateNSplitIsBitIdentical(t *testing.T) {
	const n = 3*splitMin + 13
	rng := rand.New(rand.NewPCG(7, 7))
	w, g := make([]float32, n), make([]float32, n)
	for i := range w {
		w[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	m0, v0 := make([]float32, n), make([]float32, n)
	w0 := append([]float32(nil), w...)
	c := adamStepAt(1, 1e-3, 0.01)
	AdamUpdate(w0, g, m0, v0, c)
	for _, workers := range []int{0, 2, 3, 7} {
		w1, m1, v1 := append([]float32(nil), w...), make([]float32, n), make([]float32, n)
		AdamUpdateN(workers, w1, g, m1, v1, c)
		for i := range w1 {
			if math.Float32bits(w1[i]) != math.Float32bits(w0[i]) || m1[i] != m0[i] || v1[i] != v0[i] {
				t.Fatalf("workers %d: element %d differs", workers, i)
			}
		}
	}
}

// AddN gives the bits of a plain float32 loop, signed zeros, infinities
// and NaNs included, at every length around the vector width and the
// split threshold, on 1, 2 and 3 workers.
func TestAddNMatchesLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-45, -3.4e38}
	for _, n := range []int{0, 1, 7, 8, 9, 63, splitMin - 1, splitMin + 13, 3*splitMin + 5} {
		dst, src := make([]float32, n), make([]float32, n)
		for i := range dst {
			dst[i], src[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()*1e3)
			if rng.IntN(10) == 0 {
				dst[i] = specials[rng.IntN(len(specials))]
			}
			if rng.IntN(10) == 0 {
				src[i] = specials[rng.IntN(len(specials))]
			}
		}
		want := make([]float32, n)
		for i := range want {
			want[i] = dst[i] + src[i]
		}
		for _, workers := range []int{1, 2, 3} {
			got := append([]float32(nil), dst...)
			AddN(workers, got, src)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("n %d, %d workers: [%d] %v + %v = %v, want %v", n, workers, i, dst[i], src[i], got[i], want[i])
				}
			}
		}
	}
}

// SGDUpdateN gives SGDUpdate's bits whatever the split, projection included.
func TestSGDUpdateNMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 3*splitMin + 5
	w0, g := make([]float32, n), make([]float32, n)
	for i := range w0 {
		w0[i], g[i] = float32(rng.NormFloat64()*0.01), float32(rng.NormFloat64())
	}
	want := append([]float32(nil), w0...)
	SGDUpdate(want, g, 0.01, true)
	for _, workers := range []int{0, 1, 2, 3} {
		got := append([]float32(nil), w0...)
		SGDUpdateN(workers, got, g, 0.01, true)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d workers: w[%d] = %v, want %v", workers, i, got[i], want[i])
			}
		}
	}
}

// ClearN and CopyN touch exactly their slice, whatever the split: the
// chunks of every worker count cover it with no gap, and nothing past it
// is written.
func TestClearNAndCopyNCoverTheirSlice(t *testing.T) {
	for _, n := range []int{0, 1, 9, splitMin - 3, 3*splitMin + 5, 10*splitMin + 7} {
		for _, workers := range []int{0, 1, 2, 3} {
			buf := make([]float32, n+4)
			src := make([]float32, n)
			for i := range buf {
				buf[i] = -1
			}
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			CopyN(workers, buf, src)
			for i, v := range buf {
				if want := float32(-1); i < n && v != src[i] || i >= n && v != want {
					t.Fatalf("CopyN n=%d workers=%d: buf[%d] = %v", n, workers, i, v)
				}
			}
			ClearN(workers, buf[:n])
			for i, v := range buf {
				if i < n && math.Float32bits(v) != 0 || i >= n && v != -1 {
					t.Fatalf("ClearN n=%d workers=%d: buf[%d] = %v", n, workers, i, v)
				}
			}
		}
	}
}
