package kernels

import "fmt"

// RowBlock is rows consecutive rows of cols floats stored stride apart in
// Data: one weight matrix of a layer, one of the blocks that
// SgemmHalfRowsN stacks into its B operand.
type RowBlock struct {
	Data         []float32
	Rows, Stride int
}

// SgemmHalfRowsN is the float16 autocast product of a layer's input with
// its float32 weights: C = A B^T (alpha 1, beta 0), where B is the blocks'
// rows one below another (k wide), each element rounded to half
// (RoundHalf) as the product reads it, and A is already rounded. Its bits
// are those of rounding the blocks into one stacked k-wide matrix and
// calling SgemmN(workers, false, true, m, n, k, 1, a, lda, stacked, k, 0,
// c, ldc), n the blocks' rows in all; but the stacked copy never goes
// through memory: each dot-product tile of B is rounded into a buffer that
// stays in L1 while every row of A meets it (the dot path copies a tile of
// B there anyway when it is an edge tile). Weights wider than L2 (a
// study-1 first I-Norm layer's stack: 2.9 MB at H = 436) were read and
// written once more per step by that copy.
//
// It reports false, computing nothing, for products the dot path does not
// take (more than dotMaxM rows, k under dotMinK, a kernel without one):
// the caller then rounds the stacked copy and calls SgemmN.
func SgemmHalfRowsN(workers, m, k int, a []float32, lda int, blocks []RowBlock, c []float32, ldc int) bool {
	if !takesDotPath(false, true, m, k) {
		return false
	}
	n := 0
	for i, bl := range blocks {
		if bl.Rows < 0 {
			panic(fmt.Sprintf("kernels: SgemmHalfRowsN block %d has %d rows", i, bl.Rows))
		}
		if !fitsMat(bl.Data, bl.Rows, k, bl.Stride) { // named only then: a product allocates nothing
			checkMat(fmt.Sprintf("B block %d", i), bl.Data, bl.Rows, k, bl.Stride)
		}
		n += bl.Rows
	}
	checkMat("A", a, m, k, lda)
	checkMat("C", c, m, n, ldc)
	countFLOPs(m, n, k)
	if m == 0 || n == 0 {
		return true
	}
	g := gemm{kern: active, transB: true, dotPath: true, k: k, alpha: 1, a: a, lda: lda, c: c, ldc: ldc, store: true, halfRows: blocks}
	g.run(workers, m, n)
	return true
}

// roundedRows writes rows [j, j+n) of the blocks' stack, rounded to half,
// into *buf as t rows of k (zero past n), and returns them.
func (*dotPad) roundedRows(buf *[]float32, blocks []RowBlock, j, n, t, k int) []float32 {
	if cap(*buf) < t*k {
		*buf = make([]float32, t*k)
	}
	dst := (*buf)[:t*k]
	bi, r := 0, j // block bi, row r within it
	for i := 0; i < t; i++ {
		row := dst[i*k : (i+1)*k]
		if i >= n {
			clear(row)
			continue
		}
		for r >= blocks[bi].Rows { // an empty block, or the last row passed
			r -= blocks[bi].Rows
			bi++
		}
		bl := blocks[bi]
		RoundHalf(row, bl.Data[r*bl.Stride:r*bl.Stride+k])
		r++
	}
	return dst
}
