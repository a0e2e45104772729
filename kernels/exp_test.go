package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expInputs covers what Exp meets: the softmax and KDE range (-130, 0],
// the whole finite range of exp, the edges where math.Exp takes its
// special paths (overflow at 709.78, subnormal results below -708.4,
// zero below -745.1), and NaN, infinities, zeros and random bit patterns.
func expInputs(rng *rand.Rand, n int) []float64 {
	x := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 709.78, 709.79, 7.09782712893384e+02,
		math.Nextafter(7.09782712893384e+02, 800), -708.39, -708.4, -720, -745.13, -745.14, -1000, 1e-300, -1e-300,
		5e-324, math.MaxFloat64, -math.MaxFloat64, 0.5 * math.Ln2, -0.5 * math.Ln2, 1, -1, 2, 100, -100}
	for len(x) < n {
		switch rng.IntN(4) {
		case 0:
			x = append(x, -130*rng.Float64())
		case 1: // the subnormal results, and the underflow to +0 below -745.1
			x = append(x, -707-40*rng.Float64())
		case 2:
			x = append(x, 1500*rng.Float64()-750)
		default:
			x = append(x, math.Float64frombits(rng.Uint64()))
		}
	}
	return x
}

// Exp has math.Exp's bits for every input, at every length and offset
// (groups of 4, tails, a special case in any lane), in place or not.
func TestExpMatchesMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	x := expInputs(rng, 200_000)
	rng.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
	got := make([]float64, len(x))
	Exp(got, x)
	for i, v := range x {
		if want := math.Exp(v); math.Float64bits(got[i]) != math.Float64bits(want) {
			t.Fatalf("Exp(%v) [%#x] = %v [%#x], math.Exp %v [%#x]", v, math.Float64bits(v), got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
		}
	}
	for n := range 11 {
		for off := range 3 {
			src := append([]float64(nil), x[off:off+n]...)
			Exp(src, src)
			for i, v := range x[off : off+n] {
				if math.Float64bits(src[i]) != math.Float64bits(math.Exp(v)) {
					t.Fatalf("n=%d off=%d in place: element %d differs", n, off, i)
				}
			}
		}
	}
}

func BenchmarkExp(b *testing.B) {
	x := make([]float64, 4096)
	for i := range x {
		x[i] = -float64(i%1000) * 0.1
	}
	dst := make([]float64, len(x))
	b.Run("kernels", func(b *testing.B) {
		for b.Loop() {
			Exp(dst, x)
		}
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				dst[i] = math.Exp(v)
			}
		}
	})
}

// Scratch reuses the caller's buffer when it is long enough, and only then.
func TestScratch(t *testing.T) {
	var stack [8]float64
	if e := Scratch(stack[:], 5); len(e) != 5 || &e[0] != &stack[0] {
		t.Fatalf("n=5: len %d, reused %v", len(e), &e[0] == &stack[0])
	}
	if e := Scratch(stack[:], 9); len(e) != 9 || &e[0] == &stack[0] {
		t.Fatalf("n=9: len %d, reused the short buffer", len(e))
	}
}
