package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Products through a PackedB give SgemmN's bits: every kernel, B plain or
// transposed, A plain or transposed, several column blocks (n > nc) and k
// blocks (k > kc), edge tiles, one or two workers, beta 0 and 1; also where
// SgemmN takes its dot-product path (a fallback to B itself) and after the
// kernel changed since Pack.
func TestPackedBMatchesSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	shapes := []struct{ m, n, k int }{{200, 512, 512}, {37, 2100, 300}, {130, 45, 70}, {32, 242, 784}, {7, 3, 5}}
	for _, kern := range Kernels() {
		old, _ := UseKernel(kern)
		for _, s := range shapes {
			for _, tr := range [][2]bool{{false, true}, {false, false}, {true, false}} {
				a, b, lda, ldb := denseOperands(rng, s.m, s.n, s.k, tr[0], tr[1])
				var pb PackedB
				pb.Pack(tr[1], s.k, s.n, b, ldb)
				for _, workers := range []int{1, 2} {
					for _, beta := range []float32{0, 1} {
						c0 := make([]float32, s.m*s.n)
						for i := range c0 {
							c0[i] = float32(rng.NormFloat64())
						}
						want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
						SgemmN(workers, tr[0], tr[1], s.m, s.n, s.k, -1, a, lda, b, ldb, beta, want, s.n)
						SgemmPackedN(workers, tr[0], s.m, -1, a, lda, &pb, beta, got, s.n)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s %dx%dx%d trans %v workers %d beta %g: c[%d] = %v, SgemmN %v", kern, s.m, s.n, s.k, tr, workers, beta, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
		UseKernel(old)
	}
	// Packed for one kernel, used under another: SgemmN on B itself.
	if ks := Kernels(); len(ks) > 1 {
		old, _ := UseKernel(ks[0])
		m, n, k := 60, 40, 90
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range b {
			b[i] = float32(i%5) - 2
		}
		var pb PackedB
		pb.Pack(false, k, n, b, n)
		UseKernel(ks[1])
		want, got := make([]float32, m*n), make([]float32, m*n)
		SgemmN(1, false, false, m, n, k, 1, a, k, b, n, 0, want, n)
		SgemmPackedN(1, false, m, 1, a, k, &pb, 0, got, n)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("after a kernel change: c[%d] = %v, want %v", i, got[i], want[i])
			}
		}
		UseKernel(old)
	}
}

// Repacking after B changes reuses the storage and sees the new values.
func TestPackedBRepack(t *testing.T) {
	m, n, k := 50, 70, 80
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = 1
	}
	var pb PackedB
	pb.Pack(true, k, n, b, k)
	store := &pb.blocks[0]
	for i := range b {
		b[i] = 2
	}
	pb.Pack(true, k, n, b, k)
	c := make([]float32, m*n)
	SgemmPackedN(1, false, m, 1, a, k, &pb, 0, c, n)
	if c[0] != float32(2*k) || &pb.blocks[0] != store {
		t.Fatalf("repacked product %v (want %v), storage reused %v", c[0], 2*k, &pb.blocks[0] == store)
	}
	if allocs := testing.AllocsPerRun(10, func() { pb.Pack(true, k, n, b, k) }); allocs != 0 {
		t.Fatalf("Pack allocates %v times when its storage suffices", allocs)
	}
}
