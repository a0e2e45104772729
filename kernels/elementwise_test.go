package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// specials are values an element-wise kernel must treat as its Go loop
// does: signed zeros, subnormals, the float32 range's edges, infinities, NaN.
var specials = []float64{0, math.Copysign(0, -1), 1e-45, -1e-40, 3.4e38, -3.4e38, 1e39, math.Inf(1), math.Inf(-1), math.NaN()}

func mixed(rng *rand.Rand, n int, special float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4))
		if rng.Float64() < special {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
	return x
}

func sameBits32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v (%#x), the loop's %v (%#x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// SubScale has its loop's bits and finiteness at every length (the SIMD
// body and the tail), ordinary and special values alike; one non-finite
// difference anywhere is reported.
func TestSubScaleIsTheLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for n := 0; n <= 41; n++ {
		for _, special := range []float64{0, 0.2} {
			a64, b64 := mixed(rng, n, special), mixed(rng, n, special)
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = float32(a64[i]), float32(b64[i])
			}
			scale := float32(2 / float64(n*7+1))
			want, wantFinite := make([]float32, n), true
			for i := range want {
				d := a[i] - b[i]
				want[i] = d * scale
				if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
					wantFinite = false
				}
			}
			got := make([]float32, n)
			finite := SubScale(got, a, b, scale)
			name := fmt.Sprintf("n %d special %v", n, special)
			sameBits32(t, name, got, want)
			if finite != wantFinite {
				t.Fatalf("%s: finite %v, want %v", name, finite, wantFinite)
			}
		}
	}
	for n := 1; n <= 33; n += 4 { // one bad value at each place
		for at := 0; at < n; at++ {
			for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
				a, b := make([]float32, n), make([]float32, n)
				a[at] = bad
				if SubScale(make([]float32, n), a, b, 1) {
					t.Fatalf("n %d: %v at %d reported finite", n, bad, at)
				}
			}
		}
	}
}

// VonMisesExponent and Narrow have their loops' bits at every length.
func TestVonMisesExponentAndNarrowAreTheLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for n := 0; n <= 41; n++ {
		cosP, sinP := make([]float64, n), make([]float64, n)
		for i := range cosP {
			sinP[i], cosP[i] = math.Sincos(2*math.Pi*float64(i)/float64(n) - math.Pi)
		}
		for _, theta := range []float64{0, 1.3, -2.9, rng.Float64() * 7} {
			st, ct := math.Sincos(theta)
			kappa := 1 / (0.5 * 0.5)
			got := make([]float64, n)
			VonMisesExponent(got, cosP, sinP, ct, st, kappa)
			for i := range got {
				want := kappa * (ct*cosP[i] + st*sinP[i] - 1)
				if math.Float64bits(got[i]) != math.Float64bits(want) {
					t.Fatalf("n %d theta %v: [%d] = %v, the loop's %v", n, theta, i, got[i], want)
				}
			}
		}
		src := mixed(rng, n, 0.2)
		for i := range src {
			if rng.IntN(3) == 0 { // values between float32s: ties and rounding
				src[i] = float64(float32(src[i])) * (1 + 0x1p-25)
			}
		}
		got, want := make([]float32, n), make([]float32, n)
		Narrow(got, src)
		for i, v := range src {
			want[i] = float32(v)
		}
		sameBits32(t, fmt.Sprintf("Narrow n %d", n), got, want)
	}
}

// LeakReLU and BackReLU have the bits of the network's loops (the
// expressions of rnn's step, written out here) at every length, with
// special values in every operand (u = -0 and NaN are where x86's max
// differs from Go's), with and without noise draws, and for an alpha the
// assembly declines (negative: alpha*0 would be -0).
func TestLeakReLUAndBackReLUAreTheLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	f32 := func(n int) []float32 {
		x := make([]float32, n)
		for i, v := range mixed(rng, n, 0.25) {
			x[i] = float32(v)
		}
		return x
	}
	for n := 0; n <= 41; n++ {
		for _, alpha := range []float32{0.2, 0.5, -0.3} {
			keep := 1 - alpha
			prev, u, dh, carry := f32(n), f32(n), f32(n), f32(n)
			draws := mixed(rng, n, 0.1)
			negZero := float32(math.Copysign(0, -1))
			for i := 3; i < n; i += 7 { // -0 + alpha*max(-0, 0): Go's +0 must win
				prev[i], u[i], draws[i] = negZero, negZero, -1e-50 // a draw that rounds to -0
			}
			for _, noisy := range []bool{false, true} {
				want := make([]float32, n)
				for i := range want {
					if noisy {
						want[i] = keep*prev[i] + alpha*max(u[i], 0) + float32(0.1*draws[i])
					} else {
						want[i] = keep*prev[i] + alpha*max(u[i], 0)
					}
				}
				got := make([]float32, n)
				d := draws
				if !noisy {
					d = nil
				}
				LeakReLU(got, prev, u, keep, alpha, d, 0.1)
				sameBits32(t, fmt.Sprintf("LeakReLU n %d alpha %v noisy %v", n, alpha, noisy), got, want)
			}
			wantDu, wantKeep := make([]float32, n), make([]float32, n)
			for i := range wantDu {
				g := dh[i] + carry[i]
				wantKeep[i] = keep * g
				var d float32
				if u[i] > 0 {
					d = 1
				}
				wantDu[i] = alpha * d * g
			}
			du, kp := make([]float32, n), make([]float32, n)
			BackReLU(du, kp, dh, carry, u, alpha, keep)
			sameBits32(t, fmt.Sprintf("BackReLU du n %d alpha %v", n, alpha), du, wantDu)
			sameBits32(t, fmt.Sprintf("BackReLU keep n %d alpha %v", n, alpha), kp, wantKeep)
		}
	}
}
