package kernels

import "sync"

// dotProducts computes columns [j0, j1) of C += alpha A B^T (A m x k, B
// stored n x k, both row-major) with the kernel's dot-product tiles: no
// packing, each row of A and of B read in place. Edge tiles run the same
// kernel with the short side's rows zero-padded (copied once per column
// tile for B), so every element is summed in the same lane order whatever
// the tile size; the kernel adds the elements past the last multiple of 16
// after, in order.
func (g *gemm) dotProducts(m, j0, j1 int) {
	tm, tn, k := g.kern.dotM, g.kern.dotN, g.k
	pad := dotPads.Get().(*dotPad)
	defer dotPads.Put(pad)
	out := pad.out[:]
	for j := j0; j < j1; j += tn {
		jn := min(tn, j1-j)
		var b []float32
		ldb := g.ldb
		switch {
		case g.halfRows != nil: // each tile rounded into L1 once, for every i
			b, ldb = pad.roundedRows(&pad.b, g.halfRows, j, jn, tn, k), k
		case jn < tn: // one padded copy of the edge rows of B serves every i
			b, ldb = pad.rows(&pad.b, g.b[j*g.ldb:], ldb, jn, tn, k), k
		default:
			b = g.b[j*g.ldb:]
		}
		for i := 0; i < m; i += tm {
			in := min(tm, m-i)
			a, lda := g.a[i*g.lda:], g.lda
			if in < tm {
				a, lda = pad.rows(&pad.a, a, lda, in, tm, k), k
			}
			g.kern.dot(k, a, lda, b, ldb, out)
			for ii := 0; ii < in; ii++ {
				g.writeSums(g.c[(i+ii)*g.ldc+j:(i+ii)*g.ldc+j+jn], out[ii*tn:ii*tn+jn])
			}
		}
	}
}

// writeSums stores alpha * sums into crow, or adds it.
func (g *gemm) writeSums(crow, sums []float32) {
	sums = sums[:len(crow)]
	if g.store { // 0 + x, as a cleared C would give (-0 becomes +0)
		for jj, s := range sums {
			crow[jj] = g.alpha*s + 0
		}
		return
	}
	for jj, s := range sums {
		crow[jj] += g.alpha * s
	}
}

// dotPad holds a tile's results and zero-padded copies of edge rows;
// pooled, so products in a training loop allocate nothing once warm.
type dotPad struct {
	out  [16]float32
	a, b []float32
}

var dotPads = sync.Pool{New: func() any { return new(dotPad) }}

// rows copies n rows (stride ld, k long) of src into *buf as t rows,
// zero-filling the rest, and returns the copy.
func (*dotPad) rows(buf *[]float32, src []float32, ld, n, t, k int) []float32 {
	if cap(*buf) < t*k {
		*buf = make([]float32, t*k)
	}
	dst := (*buf)[:t*k]
	for r := 0; r < t; r++ {
		row := dst[r*k : (r+1)*k]
		if r < n {
			copy(row, src[r*ld:r*ld+k])
		} else {
			clear(row)
		}
	}
	return dst
}
