package kernels

import "fmt"

// PackedB is op(B) packed once into the active micro-kernel's panels, for
// a run of products that share B: a recurrent weight matrix multiplies
// every time step's state, so packing it per product costs 100-200 passes
// over it per training step. Products through SgemmPackedN give the bits
// SgemmN gives (the same panels, k blocks and tiles); Pack again whenever
// B's values change.
type PackedB struct {
	kern   string // the micro-kernel the panels are laid out for
	transB bool
	k, n   int
	b      []float32 // B itself, for the products the panels cannot serve
	ldb    int
	blocks []float32 // block (jc/nc, pc/kc) at offset blockOff(jc, pc)
}

// Pack packs op(B) (k x n; B stored n x k when transB) with the active
// micro-kernel's panel width, reusing the storage of an earlier Pack.
func (p *PackedB) Pack(transB bool, k, n int, b []float32, ldb int) {
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("B", b, br, bc, ldb)
	nr := active.nr
	panels := (n + nr - 1) / nr
	size := panels * nr * k // every (jc, pc) block: its columns' panels x its kb
	if cap(p.blocks) < size {
		p.blocks = make([]float32, size)
	}
	*p = PackedB{kern: active.name, transB: transB, k: k, n: n, b: b, ldb: ldb, blocks: p.blocks[:size]}
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			off := p.blockOff(jc, pc)
			packB(p.blocks[off:off+((nb+nr-1)/nr)*nr*kb], b, ldb, transB, pc, kb, jc, nb, nr)
		}
	}
}

// blockOff is where block (jc, pc) starts: the blocks of earlier column
// ranges hold all k rows of their panels, earlier k blocks of this column
// range pc rows.
func (p *PackedB) blockOff(jc, pc int) int {
	nr := active.nr
	nb := min(nc, p.n-jc)
	return jc*p.k + ((nb+nr-1)/nr)*nr*pc
}

// SgemmPackedN is SgemmN with op(B) taken from pb: C = alpha * op(A) * op(B)
// + beta * C, op(A) m x k, C m x pb's n. A product the panels cannot serve
// with SgemmN's bits (SgemmN's dot-product path, or another micro-kernel
// chosen since Pack) runs as SgemmN on B itself.
func SgemmPackedN(workers int, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if pb.b == nil && pb.n > 0 {
		panic("kernels: SgemmPackedN with a PackedB that was never packed")
	}
	k, n := pb.k, pb.n
	var packed *PackedB
	if !takesDotPath(transA, pb.transB, m, k) && pb.kern == active.name {
		packed = pb
	}
	sgemm(workers, transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc, packed)
}

// stripePacked is stripe with B's panels read from g.packed: columns
// [j0, j1) (j0 a multiple of nr) walk its nc-wide blocks, from the panel
// where the stripe starts.
func (g *gemm) stripePacked(buf *packBuf, i0, i1, j0, j1 int) {
	pb, nr := g.packed, g.kern.nr
	if j0%nr != 0 {
		panic(fmt.Sprintf("kernels: packed stripe from column %d, not a multiple of %d", j0, nr))
	}
	for jc := j0 / nc * nc; jc < j1; jc += nc {
		lo, hi := max(j0, jc), min(j1, jc+nc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			bp := pb.blocks[pb.blockOff(jc, pc)+(lo-jc)*kb:]
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				packA(buf.a[:], g.a, g.lda, g.transA, ic, mb, pc, kb, g.kern.mr)
				g.macro(buf.a[:], bp, buf.tile[:], ic, mb, lo, hi-lo, kb, g.mode(pc))
			}
		}
	}
}

// Dims returns op(B)'s k x n.
func (p *PackedB) Dims() (k, n int) { return p.k, p.n }
