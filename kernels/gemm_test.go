package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/race"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// naiveGemm is the test oracle: the loop in Sgemm's doc comment, in float64.
func naiveGemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := float64(0)
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(float64(alpha)*s + old)
		}
	}
}

const guard = 4 // NaN sentinels around every stored matrix catch out-of-bounds writes

func randMat(rng *rand.Rand, rows, cols, ld int) []float32 {
	x := make([]float32, (rows-1)*ld+cols+2*guard)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			x[guard+i*ld+j] = float32(rng.NormFloat64())
		}
	}
	return x
}

// denseOperands draws op(A) (m x k) and op(B) (k x n), stored packed
// (A k x m when transA, B n x k when transB), and their strides.
func denseOperands(rng *rand.Rand, m, n, k int, transA, transB bool) (a, b []float32, lda, ldb int) {
	a, b = make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	lda, ldb = k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return a, b, lda, ldb
}

type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	pad         int // extra stride beyond the logical width: strided views
}

func runCase(t *testing.T, tc gemmCase, rng *rand.Rand) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.tA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	a := randMat(rng, max(ar, 1), max(ac, 1), max(lda, 1))
	b := randMat(rng, max(br, 1), max(bc, 1), max(ldb, 1))
	c := randMat(rng, max(tc.m, 1), max(tc.n, 1), max(ldc, 1))
	want := append([]float32(nil), c...)
	if tc.beta == 0 { // beta == 0 must ignore C entirely, NaNs included
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				c[guard+i*ldc+j] = float32(math.NaN())
			}
		}
	}
	Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a[guard:], max(lda, 1), b[guard:], max(ldb, 1), tc.beta, c[guard:], max(ldc, 1))
	naiveGemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a[guard:], max(lda, 1), b[guard:], max(ldb, 1), tc.beta, want[guard:], max(ldc, 1))
	tol := 1e-5 * math.Sqrt(float64(tc.k)+1) * 4
	for i, w := range want {
		g := c[i]
		if math.IsNaN(float64(w)) {
			if !math.IsNaN(float64(g)) {
				t.Fatalf("%+v: wrote outside C at %d", tc, i-guard)
			}
			continue
		}
		if d := math.Abs(float64(g - w)); d > tol*(1+math.Abs(float64(w))) {
			t.Fatalf("%+v: c[%d] = %g, want %g", tc, i-guard, g, w)
		}
	}
}

// forEachBackend runs f once with every micro-kernel the CPU supports.
func forEachBackend(t *testing.T, f func(t *testing.T)) {
	for _, name := range Kernels() {
		t.Run(name, func(t *testing.T) {
			old, err := UseKernel(name)
			if err != nil {
				t.Fatal(err)
			}
			defer UseKernel(old)
			f(t)
		})
	}
}

func TestSgemmSmallSizes(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for s := 1; s <= 65; s += 4 {
					runCase(t, gemmCase{tA, tB, s, 65 - s + 1, (s*7)%33 + 1, 1, 0, 0}, rng)
					runCase(t, gemmCase{tA, tB, s, s, s, -0.5, 1.5, 3}, rng)
				}
			}
		}
	})
}

func TestSgemmTable(t *testing.T) {
	cases := []gemmCase{
		{false, false, 1, 1, 1, 1, 0, 0},
		{true, true, 1, 1, 1, 2, 1, 5},
		{false, false, 0, 5, 3, 1, 1, 0},
		{false, true, 5, 3, 0, 1, 0.5, 0}, // k == 0: C = beta C
		{false, false, 7, 9, 11, 0, 2, 1}, // alpha == 0
		{false, false, 32, 500, 784, 1, 0, 0},
		{true, false, 500, 784, 32, 1, 1, 0}, // weight gradient shape
		{false, true, 32, 784, 500, 1, 0, 0}, // input gradient shape
		{false, false, 200, 512, 512, 1, 0, 0},
		{true, true, 131, 257, 300, 0.7, -0.3, 7},
		{false, false, 6, 2100, 17, 1, 0, 2}, // more than one nc block
		{true, false, 241, 13, 600, 1, 0, 1}, // tall: row split, several kc blocks
	}
	forEachBackend(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%v%v_%dx%dx%d", tc.tA, tc.tB, tc.m, tc.n, tc.k), func(t *testing.T) { runCase(t, tc, rng) })
		}
	})
}

func TestSgemmRandomShapes(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for range 60 {
			tc := gemmCase{rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(140) + 1, rng.IntN(140) + 1, rng.IntN(300) + 1,
				float32(rng.NormFloat64()), []float32{0, 1, -0.5}[rng.IntN(3)], rng.IntN(3)}
			runCase(t, tc, rng)
		}
	})
}

func TestSgemmShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Sgemm accepted a too-short C")
		}
	}()
	Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}

func TestSgemmNoAllocs(t *testing.T) {
	a, b, c := make([]float32, 32*784), make([]float32, 784*500), make([]float32, 32*500)
	Sgemm(false, false, 32, 500, 784, 1, a, 784, b, 500, 0, c, 500)
	// Only the goroutine fan-out may allocate; packing buffers are pooled.
	allocs := testing.AllocsPerRun(20, func() { Sgemm(false, false, 32, 500, 784, 1, a, 784, b, 500, 0, c, 500) })
	if allocs > 3 {
		t.Fatalf("Sgemm allocates %v times per call", allocs)
	}
}

var benchShapes = []struct{ m, n, k int }{{32, 500, 784}, {200, 512, 512}, {1024, 1024, 1024}}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		a, bb, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
		for i := range a {
			a[i] = 1
		}
		for i := range bb {
			bb[i] = 1
		}
		flops := 2 * float64(s.m*s.n*s.k)
		for _, kern := range Kernels() {
			b.Run(fmt.Sprintf("circuitry-%s/%dx%dx%d", kern, s.m, s.n, s.k), func(b *testing.B) {
				old, _ := UseKernel(kern)
				defer UseKernel(old)
				for b.Loop() {
					Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		b.Run(fmt.Sprintf("gonum/%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			A := blas32.General{Rows: s.m, Cols: s.k, Stride: s.k, Data: a}
			B := blas32.General{Rows: s.k, Cols: s.n, Stride: s.n, Data: bb}
			C := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c}
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 0, C)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestKernelsAgreeBitwise: every kernel sums k in the same order with one
// rounding per multiply-add, so with alpha = 1 the assembly kernels give
// identical bits (training resumes bit-identically on another CPU).
func TestKernelsAgreeBitwise(t *testing.T) {
	var asm []string
	for _, k := range Kernels() {
		if k != "go" {
			asm = append(asm, k)
		}
	}
	if len(asm) < 2 {
		t.Skipf("only %v on this CPU", Kernels())
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range []struct{ m, n, k int }{{32, 500, 784}, {64, 256, 256}, {37, 45, 300}, {37, 46, 300}, {47, 7, 80}, {200, 512, 512}, {50, 70, 259}, {49, 33, 3}, {60, 40, 517}} {
		a, b := make([]float32, s.m*s.k), make([]float32, s.k*s.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		var ref []float32
		for _, name := range asm {
			old, _ := UseKernel(name)
			c := make([]float32, s.m*s.n)
			Sgemm(false, true, s.m, s.n, s.k, 1, a, s.k, b, s.k, 0, c, s.n)
			UseKernel(old)
			if ref == nil {
				ref = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%dx%dx%d: %s gives c[%d] = %v, %s %v", s.m, s.n, s.k, name, i, c[i], asm[0], ref[i])
				}
			}
		}
	}
}

// C = X W^T, the forward product of a layer: the dot-product path for a
// training batch, the packed path above dotMaxM rows.
func BenchmarkSgemmNT(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{32, 500, 784}, {32, 500, 500}, {64, 256, 256}, {200, 512, 512}} {
		a, w, c := make([]float32, s.m*s.k), make([]float32, s.n*s.k), make([]float32, s.m*s.n)
		for i := range a {
			a[i] = 1
		}
		for i := range w {
			w[i] = 0.5
		}
		for _, kern := range Kernels() {
			for _, dot := range []bool{true, false} {
				b.Run(fmt.Sprintf("%s/dot=%v/%dx%dx%d", kern, dot, s.m, s.n, s.k), func(b *testing.B) {
					old, _ := UseKernel(kern)
					defer UseKernel(old)
					useDot = dot
					defer func() { useDot = true }()
					for b.Loop() {
						Sgemm(false, true, s.m, s.n, s.k, 1, a, s.k, w, s.k, 0, c, s.n)
					}
					b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

func TestDotPathNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates on its own")
	}
	a, b, c := make([]float32, 37*300), make([]float32, 45*300), make([]float32, 37*45)
	Sgemm(false, true, 37, 45, 300, 1, a, 300, b, 300, 0, c, 45)
	if allocs := testing.AllocsPerRun(20, func() { Sgemm(false, true, 37, 45, 300, 1, a, 300, b, 300, 0, c, 45) }); allocs != 0 {
		t.Fatalf("the dot-product path allocates %v times per call", allocs)
	}
}

// SgemmN's worker cap changes how a product is split, never its bits.
func TestWorkerCapKeepsBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m, n, k := 300, 260, 400
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	ref := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, ref, n)
	for _, w := range []int{1, 2, 3} {
		c := make([]float32, m*n)
		SgemmN(w, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		for i := range c {
			if c[i] != ref[i] {
				t.Fatalf("workers %d: element %d is %v, uncapped %v", w, i, c[i], ref[i])
			}
		}
	}
}

// With beta = 0, C is written, never read: the result has the bits of
// adding the product to a cleared C (beta = 1 on zeros), whatever C held
// (NaN here), on every kernel, both paths (dot and packed, transposed or
// not), edge tiles, several k blocks, one or two workers; rows of A that
// are zero under alpha = -1 give -0 products, which a cleared C turns into
// +0, and so must the store.
func TestBetaZeroStoresClearedBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	shapes := []struct{ m, n, k int }{{32, 242, 784}, {242, 784, 32}, {37, 45, 300}, {50, 70, 259}, {49, 33, 3}, {60, 40, 517}, {13, 7, 70}}
	for _, kern := range Kernels() {
		old, _ := UseKernel(kern)
		for _, s := range shapes {
			for _, tr := range [][2]bool{{false, true}, {true, false}, {false, false}} {
				a, b, lda, ldb := denseOperands(rng, s.m, s.n, s.k, tr[0], tr[1])
				if !tr[0] { // row 1 of op(A) is zero: -0 under alpha = -1
					clear(a[s.k : 2*s.k])
				}
				for _, workers := range []int{1, 2} {
					for _, alpha := range []float32{1, -1} {
						want := make([]float32, s.m*s.n)
						SgemmN(workers, tr[0], tr[1], s.m, s.n, s.k, alpha, a, lda, b, ldb, 1, want, s.n)
						got := make([]float32, s.m*s.n)
						for i := range got {
							got[i] = float32(math.NaN())
						}
						SgemmN(workers, tr[0], tr[1], s.m, s.n, s.k, alpha, a, lda, b, ldb, 0, got, s.n)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s %dx%dx%d trans %v workers %d alpha %g: c[%d] = %v (%#x), cleared C gives %v (%#x)",
									kern, s.m, s.n, s.k, tr, workers, alpha, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
							}
						}
					}
				}
			}
		}
		UseKernel(old)
	}
}

// BenchmarkPopulationFirstLayer measures what #17's population training
// would gain on study 1's first layers: nine networks that see the same
// 32-image batch, each 784 -> 242, as nine products or as one product
// 784 -> 9*242 (forward x W^T; weight gradient dY^T x). Equal GFLOP/s
// means fusing buys nothing.
func BenchmarkPopulationFirstLayer(b *testing.B) {
	const nets, m, k, h = 9, 32, 784, 242
	x, w, dy, dw := make([]float32, m*k), make([]float32, nets*h*k), make([]float32, m*nets*h), make([]float32, nets*h*k)
	for i := range x {
		x[i] = float32(i%7) * 0.25
	}
	for i := range w {
		w[i] = float32(i%5) * 0.125
	}
	for i := range dy {
		dy[i] = float32(i%3) * 0.5
	}
	y := make([]float32, m*nets*h)
	flops := 2 * float64(nets*m*h*k)
	report := func(b *testing.B) {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward/separate", func(b *testing.B) {
		for b.Loop() {
			for i := range nets {
				SgemmN(1, false, true, m, h, k, 1, x, k, w[i*h*k:], k, 0, y[i*h:], nets*h)
			}
		}
		report(b)
	})
	b.Run("forward/fused", func(b *testing.B) {
		for b.Loop() {
			SgemmN(1, false, true, m, nets*h, k, 1, x, k, w, k, 0, y, nets*h)
		}
		report(b)
	})
	b.Run("gradient/separate", func(b *testing.B) {
		for b.Loop() {
			for i := range nets {
				SgemmN(1, true, false, h, k, m, 1, dy[i*h:], nets*h, x, k, 1, dw[i*h*k:], k)
			}
		}
		report(b)
	})
	b.Run("gradient/fused", func(b *testing.B) {
		for b.Loop() {
			SgemmN(1, true, false, nets*h, k, m, 1, dy, nets*h, x, k, 1, dw, k)
		}
		report(b)
	})
}

// An edge kernel's rows are the full kernel's rows, bit for bit, for any
// depth, alpha and mode (float16 ones too): swapping one in for an edge tile changes no result.
func TestEdgeKernelsMatchFullKernelRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	checked := 0
	for _, k := range availableKernels() {
		for _, e := range k.edges {
			for _, kb := range []int{1, 3, 4, 5, 17, 256} {
				ap, bp := randMat(rng, kb, k.mr, k.mr)[guard:], randMat(rng, kb, k.nr, k.nr)[guard:]
				c0 := randMat(rng, k.mr, k.nr, k.nr)[guard : guard+k.mr*k.nr]
				alpha := float32(rng.NormFloat64())
				for mode := range modeScale << 1 {
					full, edge := slices.Clone(c0), slices.Clone(c0)
					k.fn(kb, alpha, ap, bp, full, k.nr, mode)
					e.fn(kb, alpha, ap, bp, edge, k.nr, mode)
					for i := range full {
						want := full[i]
						if i >= e.rows*k.nr { // rows past the edge kernel's: untouched
							want = c0[i]
						}
						if math.Float32bits(edge[i]) != math.Float32bits(want) {
							t.Fatalf("%s %d-row edge, kb %d, mode %b: c[%d] = %v, want %v", k.name, e.rows, kb, mode, i, edge[i], want)
						}
					}
					checked++
				}
			}
		}
	}
	if checked == 0 && len(availableKernels()) > 1 {
		t.Fatal("an assembly kernel without edge kernels")
	}
}

// The FLOP count is 2 m n k per product run while counting, through every
// entry point, and nothing outside StartFLOPCount / StopFLOPCount.
func TestFLOPCount(t *testing.T) {
	a, b, c := make([]float32, 6*5), make([]float32, 5*7), make([]float32, 6*7)
	Sgemm(false, false, 6, 7, 5, 1, a, 5, b, 7, 0, c, 7) // not counted
	StartFLOPCount()
	Sgemm(false, false, 6, 7, 5, 1, a, 5, b, 7, 0, c, 7)
	SgemmN(1, false, true, 6, 5, 7, 1, c, 7, c[:5*7], 7, 0, a, 5)
	if got, want := StopFLOPCount(), int64(2*6*7*5+2*6*5*7); got != want {
		t.Fatalf("counted %d FLOPs, want %d", got, want)
	}
	Sgemm(false, false, 6, 7, 5, 1, a, 5, b, 7, 0, c, 7)
	if got := StopFLOPCount(); got != 2*6*7*5*2 {
		t.Fatalf("counting went on after StopFLOPCount: %d", got)
	}
}
