package kernels

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// kernelsWith are this CPU's kernels that have a path (the dot product,
// B in place); none in noasm builds or on CPUs without AVX2/FMA, whose
// portable kernel has neither: the test skips.
func kernelsWith(t *testing.T, path string, has func(tileKernel) bool) []tileKernel {
	var ks []tileKernel
	for _, k := range availableKernels() {
		if has(k) {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		t.Skipf("no kernel with %s here (%v)", path, Kernels())
	}
	return ks
}

func dotKernels(t *testing.T) []tileKernel {
	return kernelsWith(t, "a dot-product path", func(k tileKernel) bool { return k.dot != nil })
}

// The dot path's tail: the kernel adds the last k mod 16 terms of each dot
// product in order, a float32 product then a float32 sum each, exactly as
// the scalar loop after the lane sums did before the tail moved into the
// kernels. The reference here is that loop, over the kernel's own lane
// sums of the first k &^ 15 terms (a multiple of 16: no tail).
func TestDotTailIsTheScalarLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fusedDiffers := 0 // elements where a fused multiply-add would give other bits
	for _, kern := range dotKernels(t) {
		for _, k := range []int{16, 17, 31, 64, 130, 242, 255, 500, 784} {
			t.Run(fmt.Sprintf("%s/k%d", kern.name, k), func(t *testing.T) {
				tm, tn := kern.dotM, kern.dotN
				a, b := make([]float32, tm*k), make([]float32, tn*k)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				got, want := make([]float32, 16), make([]float32, 16)
				kern.dot(k, a, k, b, k, got)
				k16 := k &^ 15
				lanes := make([]float32, 16)
				for i := 0; i < tm; i++ {
					for j := 0; j < tn; j++ {
						// Lane sums of the first k16 terms, from the kernel on
						// copies of rows i and j cut to k16 (no tail).
						ai, bj := make([]float32, tm*k16), make([]float32, tn*k16)
						copy(ai, a[i*k:i*k+k16])
						copy(bj, b[j*k:j*k+k16])
						kern.dot(k16, ai, k16, bj, k16, lanes)
						s, fused := lanes[0], lanes[0]
						for p := k16; p < k; p++ {
							s += float32(a[i*k+p] * b[j*k+p]) // the conversion forbids fusing
							fused = float32(math.FMA(float64(a[i*k+p]), float64(b[j*k+p]), float64(fused)))
						}
						want[i*tn+j] = s
						if fused != s {
							fusedDiffers++
						}
					}
				}
				for i := 0; i < tm*tn; i++ {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("element %d (row %d, column %d): %v (%#x), the scalar loop gives %v (%#x)",
							i, i/tn, i%tn, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			})
		}
	}
	if fusedDiffers < 10 {
		t.Fatalf("only %d elements tell a fused tail from the scalar loop: the data cannot catch one", fusedDiffers)
	}
}

// fma32 is a float32 fused multiply-add, a*b + c rounded once (exactly:
// float64's FMA would round twice).
func fma32(a, b, c float32) float32 {
	p := new(big.Float).SetPrec(512).SetFloat64(float64(a))
	p.Mul(p, new(big.Float).SetPrec(512).SetFloat64(float64(b)))
	p.Add(p, new(big.Float).SetPrec(512).SetFloat64(float64(c)))
	f, _ := p.Float32()
	return f
}

// dotModel is the dot path's arithmetic for one element, written out:
// lane l sums the terms p = l mod 16 below k &^ 15 by FMAs in order; the
// lanes reduce as y_i = l_i + l_(i+8), x_i = y_i + y_(i+4),
// (x0 + x1) + (x2 + x3); the last k mod 16 terms follow in order, each a
// rounded product, then a sum.
func dotModel(a, b []float32) float32 {
	k16 := len(a) &^ 15
	var l [16]float32
	for p := 0; p < k16; p++ {
		l[p%16] = fma32(a[p], b[p], l[p%16])
	}
	var y [8]float32
	for i := range y {
		y[i] = l[i] + l[i+8]
	}
	var x [4]float32
	for i := range x {
		x[i] = y[i] + y[i+4]
	}
	s := (x[0] + x[1]) + (x[2] + x[3])
	for p := k16; p < len(a); p++ {
		s += float32(a[p] * b[p])
	}
	return s
}

// Every element of a product on the dot path has the bits of dotModel,
// whatever the kernel, the tile edges or the worker count: this pins the
// arithmetic every trained network's forward pass depends on.
func TestDotPathIsItsModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range dotKernels(t) {
		old, _ := UseKernel(kern.name)
		for _, s := range []struct{ m, n, k int }{{5, 7, 64}, {9, 6, 83}, {4, 4, 242}, {3, 10, 300}} {
			if !takesDotPath(false, true, s.m, s.k) {
				t.Fatalf("%dx%dx%d does not take the dot path", s.m, s.n, s.k)
			}
			a, b := make([]float32, s.m*s.k), make([]float32, s.n*s.k)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			for _, workers := range []int{1, 2} {
				c := make([]float32, s.m*s.n)
				SgemmN(workers, false, true, s.m, s.n, s.k, 1, a, s.k, b, s.k, 0, c, s.n)
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						want := dotModel(a[i*s.k:(i+1)*s.k], b[j*s.k:(j+1)*s.k])
						if got := c[i*s.n+j]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s %dx%dx%d, %d workers, C[%d][%d] = %v (%#x), the model %v (%#x)",
								kern.name, s.m, s.n, s.k, workers, i, j, got, math.Float32bits(got), want, math.Float32bits(want))
						}
					}
				}
			}
		}
		UseKernel(old)
	}
}
