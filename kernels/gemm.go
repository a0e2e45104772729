package kernels

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

// Cache blocks around the micro-kernel's register tile: mc x kc of packed
// A (~120 KiB) stays in L2, kc x nr of packed B (16-32 KiB) in L1. mc and
// nc are multiples of every kernel's mr and nr.
const (
	kc      = 256
	mc      = 120
	nc      = 2048
	maxMR   = 12
	maxNR   = 32
	maxTile = maxMR * maxNR
)

// tileKernel is a micro-kernel: C[0:mr, 0:nr] += alpha * Ap * Bp for
// packed panels Ap (kb x mr) and Bp (kb x nr), C with row stride ldc; mode
// (bits below) says how the sums reach C.
type tileKernel struct {
	name   string
	mr, nr int
	fn     func(kb int, alpha float32, ap, bp, c []float32, ldc int, mode uint8)
	// dot, when set, computes a dotM x dotN tile of dot products of rows
	// of A with rows of B over k elements (C = A B^T read in place; see
	// dotProducts), out[i*dotN+j] for A row i and B row j.
	dotM, dotN int
	dot        func(k int, a []float32, lda int, b []float32, ldb int, out []float32)
	// edges are kernels for C tiles of fewer rows, by increasing rows:
	// each computes the first rows rows of an mr-row A panel, the same sums
	// in the same order as fn does for those rows, with less work.
	edges []edgeKernel
	// direct, when set, is fn reading B in place (row p of the tile's nr
	// columns at b[p*ldb:]) instead of a packed panel, with the same
	// FMAs; each edge has its own (see directRows).
	direct directFn
}

// directFn is a tile kernel that reads B in place (tileKernel.direct).
type directFn func(kb int, alpha float32, ap, b []float32, ldb int, c []float32, ldc int, mode uint8)

// Kernel modes, bits. modeStore: C's old values are not read, and C gets
// the bits the sum would give were C cleared to +0 first. modeHalf:
// float16 autocast (see SgemmHalfN): v = half(sum + 0), with modeScale
// then v = half(alpha v) (without it alpha is not applied), and C = v
// (modeStore) or C += v. Only for sums over the whole depth (one k block).
const (
	modeStore uint8 = 1 << iota
	modeHalf
	modeScale
)

// edgeKernel computes rows x nr tiles (see tileKernel.edges), from a
// packed B panel (fn) or, where the kernel has one, B in place (direct).
type edgeKernel struct {
	rows   int
	fn     func(kb int, alpha float32, ap, bp, c []float32, ldc int, mode uint8)
	direct directFn
}

// edgeFor is the smallest edge kernel with at least mt rows, or nil: the
// full kernel serves.
func (k *tileKernel) edgeFor(mt int) *edgeKernel {
	for i := range k.edges {
		if k.edges[i].rows >= mt {
			return &k.edges[i]
		}
	}
	return nil
}

// forRows is the kernel for a tile of mt rows (edgeFor, or the full one).
func (k *tileKernel) forRows(mt int) func(kb int, alpha float32, ap, bp, c []float32, ldc int, mode uint8) {
	if e := k.edgeFor(mt); e != nil {
		return e.fn
	}
	return k.fn
}

// directRows is forRows for the kernels reading B in place.
func (k *tileKernel) directRows(mt int) directFn {
	if e := k.edgeFor(mt); e != nil {
		return e.direct
	}
	return k.direct
}

// goKernel is the portable kernel, used where no assembly one runs.
var goKernel = tileKernel{name: "go", mr: 6, nr: 16, fn: kernel6x16Go}

// active is the kernel Sgemm uses: the best the CPU runs, or the one
// named by $CIRCUITRY_GEMM (avx512, avx2-fma, go) for comparisons.
var active = pickKernel(os.Getenv("CIRCUITRY_GEMM"))

// pickKernel is the named kernel, or the best one when the CPU lacks it.
func pickKernel(name string) tileKernel {
	if k, ok := findKernel(name); ok {
		return k
	}
	return availableKernels()[0]
}

// findKernel looks a kernel up by name among those the CPU runs.
func findKernel(name string) (tileKernel, bool) {
	for _, k := range availableKernels() {
		if k.name == name {
			return k, true
		}
	}
	return tileKernel{}, false
}

// Kernels lists the micro-kernels this CPU can run, best first.
func Kernels() []string {
	var names []string
	for _, k := range availableKernels() {
		names = append(names, k.name)
	}
	return names
}

// Backend names the micro-kernel in use, for benchmarks and `circuitry bench`.
func Backend() string { return active.name }

// UseKernel switches every later Sgemm to the named micro-kernel (one of
// Kernels()) and returns the previous one's name. Not safe while products
// run; meant for benchmarks and tests.
func UseKernel(name string) (string, error) {
	k, ok := findKernel(name)
	if !ok {
		return "", fmt.Errorf("GEMM kernel %q: this CPU runs %v", name, Kernels())
	}
	old := active.name
	active = k
	return old, nil
}

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for row-major float32
// matrices, where op(X) is X or its transpose. op(A) is m x k, op(B) is
// k x n and C is m x n; lda, ldb and ldc are the row strides of the stored
// matrices (A is stored m x k, or k x m when transA). With beta == 0, C is
// overwritten and never read, so it may hold NaNs. The equivalent plain loop:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += opA(i, p) * opB(p, j)
//			}
//			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
//		}
//	}
//
// Work is split across up to runtime.GOMAXPROCS(0) goroutines when the
// product is large enough to pay for them.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmN(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmN is Sgemm using at most workers goroutines (0: as many as the
// product's size pays for, up to GOMAXPROCS). Callers that already run
// independent products on every core — networks trained side by side —
// pass 1: splitting small products then only adds synchronisation. The
// split never changes the result's bits.
func SgemmN(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// SgemmHalfN is a float16 autocast product (tensor.Float16Autocast) with
// its epilogue fused into the micro-kernel: for A and B already rounded to
// half, C = v (beta 0) or C += v (beta 1), v = half(alpha half(op(A) op(B)))
// (half(alpha x) only when alpha != 1), the bits of SgemmN(alpha 1, beta 0)
// into a scratch matrix followed by HalfEpilogue, without the scratch
// matrix's pass through memory. It reports false, computing nothing, for
// products it does not fuse: another beta, a depth over one k block (the
// kernel's sums must be whole), k or alpha 0, the dot-product path, or a
// CPU without F16C for the assembly kernels.
func SgemmHalfN(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if (beta != 0 && beta != 1) || k > kc || k == 0 || alpha == 0 || takesDotPath(transA, transB, m, k) || (active.name != goKernel.name && !useF16C) {
		return false
	}
	checkGemmArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	countFLOPs(m, n, k)
	if m == 0 || n == 0 {
		return true
	}
	g := gemm{kern: active, transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, store: beta == 0, half: modeHalf}
	if alpha != 1 {
		g.half |= modeScale
	}
	g.run(workers, m, n)
	return true
}

// sgemm is SgemmN, taking op(B)'s panels from packed when it is not nil
// (SgemmPackedN; the caller has ruled out the dot-product path).
func sgemm(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, packed *PackedB) {
	checkGemmArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	countFLOPs(m, n, k)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// beta == 0: the first k block stores into C instead of adding to a
	// cleared C (the same bits), which saves a pass over C.
	g := gemm{kern: active, packed: packed, transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, store: beta == 0}
	if !g.store {
		scaleC(m, n, beta, c, ldc)
	}
	g.dotPath = packed == nil && takesDotPath(transA, transB, m, k)
	g.run(workers, m, n)
}

// run computes the m x n product on as many goroutines as it deserves
// (at most workers; see gemmWorkers).
func (g gemm) run(workers, m, n int) {
	workers = gemmWorkers(m, n, g.k, workers)
	if workers == 1 {
		g.part(0, 1, m, n)
		return
	}
	g.parallel(workers, m, n)
}

// takesDotPath reports whether the active kernel computes an m-row,
// k-deep product by the dot-product path (see dotMaxM).
func takesDotPath(transA, transB bool, m, k int) bool {
	return useDot && active.dot != nil && !transA && transB && m <= dotMaxM && k >= dotMinK
}

// Up to dotMaxM rows of C = A B^T (a training batch times weights^T) and
// from dotMinK long rows, reading both operands in place beats packing
// B^T, whose cost grows with the weights while the product grows with the
// batch (measured: 2.3x at 32x500x784 with AVX-512, even at 64x256x256,
// worse at 64 rows with AVX2). The rule does not depend on the kernel, so
// the assembly kernels keep giving identical bits.
const (
	dotMaxM = 48
	dotMinK = 64
)

// useDot switches the dot-product path (benchmarks compare without it).
var useDot = true

// parallel splits the longer side of C so each worker packs little it does
// not use. Only this path escapes g to the heap; serial calls allocate nothing.
func (g gemm) parallel(workers, m, n int) {
	gp := &g
	runParts(workers, func(w int) { gp.part(w, workers, m, n) })
}

// gemmWorkers picks how many goroutines a product deserves: about one per
// 4 MFLOP, never more than the cores Go may use nor than most (> 0).
func gemmWorkers(m, n, k, most int) int {
	flops := 2 * m * n * k
	w := runtime.GOMAXPROCS(0)
	if most > 0 {
		w = min(w, most)
	}
	if lim := flops/(4<<20) + 1; lim < w {
		w = lim
	}
	return max(w, 1)
}

func checkGemmArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: negative gemm dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("A", a, ar, ac, lda)
	checkMat("B", b, br, bc, ldb)
	checkMat("C", c, m, n, ldc)
}

func checkMat(name string, x []float32, r, c, ld int) {
	if fitsMat(x, r, c, ld) {
		return
	}
	if ld < max(c, 1) {
		panic(fmt.Sprintf("kernels: gemm %s stride %d < %d columns", name, ld, c))
	}
	if r > 0 && c > 0 && len(x) < (r-1)*ld+c {
		panic(fmt.Sprintf("kernels: gemm %s has %d elements, needs %d for %dx%d with stride %d", name, len(x), (r-1)*ld+c, r, c, ld))
	}
}

// fitsMat says whether x holds an r x c matrix with stride ld: checkMat's
// test, for callers that name the matrix only when it fails.
func fitsMat(x []float32, r, c, ld int) bool {
	return ld >= max(c, 1) && (r <= 0 || c <= 0 || len(x) >= (r-1)*ld+c)
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

type gemm struct {
	kern           tileKernel
	packed         *PackedB // op(B) packed ahead (SgemmPackedN), or nil
	dotPath        bool
	store          bool       // beta == 0: C's old values are never read
	half           uint8      // modeHalf (and modeScale): SgemmHalfN's product
	halfRows       []RowBlock // B^T's rows, rounded as read (SgemmHalfRowsN); b unused
	transA, transB bool
	k              int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
}

// part runs worker w's share of C: a band of columns when C is wide, a band
// of rows when it is tall. Bands are multiples of the register tile.
func (g *gemm) part(w, workers, m, n int) {
	if g.dotPath {
		lo, hi := band(w, workers, n, g.kern.dotN)
		if lo < hi {
			g.dotProducts(m, lo, hi)
		}
		return
	}
	if n >= m {
		lo, hi := band(w, workers, n, g.kern.nr)
		if lo < hi {
			g.stripe(0, m, lo, hi)
		}
		return
	}
	lo, hi := band(w, workers, m, g.kern.mr)
	if lo < hi {
		g.stripe(lo, hi, 0, n)
	}
}

// band splits [0, size) into parts aligned to unit and returns part w.
func band(w, parts, size, unit int) (lo, hi int) {
	tiles := (size + unit - 1) / unit
	lo = min(w*tiles/parts*unit, size)
	hi = min((w+1)*tiles/parts*unit, size)
	return lo, hi
}

// packBuf holds one goroutine's packed panels; pooled so that repeated
// products in a training loop allocate nothing.
type packBuf struct {
	a    [mc * kc]float32
	b    [kc * nc]float32
	tile [maxTile]float32
}

var packPool = sync.Pool{New: func() any { return new(packBuf) }}

// stripe computes rows [i0, i1) and columns [j0, j1) of C.
func (g *gemm) stripe(i0, i1, j0, j1 int) {
	buf := packPool.Get().(*packBuf)
	defer packPool.Put(buf)
	if g.packed != nil {
		g.stripePacked(buf, i0, i1, j0, j1)
		return
	}
	direct := useDirectB && g.kern.direct != nil && !g.transB && i1-i0 <= directMaxM
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		full := 0 // columns whose B panels are read in place
		if direct {
			full = nb - nb%g.kern.nr
		}
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			if full < nb { // the panels not read in place, packed
				packB(buf.b[:], g.b, g.ldb, g.transB, pc, kb, jc+full, nb-full, g.kern.nr)
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				packA(buf.a[:], g.a, g.lda, g.transA, ic, mb, pc, kb, g.kern.mr)
				if full > 0 {
					g.macroDirect(buf.a[:], buf.tile[:], ic, mb, jc, full, pc, kb, g.mode(pc))
				}
				if full < nb {
					g.macro(buf.a[:], buf.b[:], buf.tile[:], ic, mb, jc+full, nb-full, kb, g.mode(pc))
				}
			}
		}
	}
}

// directMaxM: a product of at most this many rows (a training batch) with
// B not transposed reads B's full-width panels in place instead of packing
// them. Each packed panel would serve only a few row tiles, so the copy
// (from L3: a 784 x 500 B is 1.5 MB) was a fifth of a 32 x 500 x 784
// product; in place, the same loads feed the same FMAs (identical bits).
const directMaxM = 48

// useDirectB switches the in-place B path (benchmarks compare without it).
var useDirectB = true

// macroDirect is macro for the first full columns of an mb x nb block,
// reading B in place from row pc: only whole nr-wide panels.
func (g *gemm) macroDirect(packedA, tile []float32, ic, mb, jc, full, pc, kb int, mode uint8) {
	mr, nr := g.kern.mr, g.kern.nr
	for jr := 0; jr < full; jr += nr {
		b := g.b[pc*g.ldb+jc+jr:]
		for ir := 0; ir < mb; ir += mr {
			mt := min(mr, mb-ir)
			ap := packedA[ir*kb:]
			off := (ic+ir)*g.ldc + jc + jr
			if mt == mr {
				g.kern.direct(kb, g.alpha, ap, b, g.ldb, g.c[off:], g.ldc, mode)
				continue
			}
			t := tile[:mr*nr]
			g.kern.directRows(mt)(kb, g.alpha, ap, b, g.ldb, t, nr, mode|modeStore)
			g.edgeTile(t, off, mt, nr, mode)
		}
	}
}

// mode is the kernel mode for the k block from pc: the float16 bits, and
// modeStore for the first block when beta == 0.
func (g *gemm) mode(pc int) uint8 {
	if g.store && pc == 0 {
		return g.half | modeStore
	}
	return g.half
}

// macro runs the micro-kernel over every tile of an mb x nb block of C,
// reading the block's panels from packedA and packedB (tile is scratch for
// edge tiles); with modeStore (the first k block when beta == 0) it writes
// C rather than adding to it.
func (g *gemm) macro(packedA, packedB, tile []float32, ic, mb, jc, nb, kb int, mode uint8) {
	mr, nr, kernel := g.kern.mr, g.kern.nr, g.kern.fn
	for jr := 0; jr < nb; jr += nr {
		nt := min(nr, nb-jr)
		bp := packedB[jr*kb:]
		for ir := 0; ir < mb; ir += mr {
			mt := min(mr, mb-ir)
			ap := packedA[ir*kb:]
			off := (ic+ir)*g.ldc + jc + jr
			if mt == mr && nt == nr {
				kernel(kb, g.alpha, ap, bp, g.c[off:], g.ldc, mode)
				continue
			}
			// Edge tile: compute into scratch, add the valid part (or,
			// storing, copy it: the kernel stored the scratch with a zero
			// addend, so it holds no -0, and 0 + t would be t; a float16
			// tile holds the values C = v would get). A tile of few rows
			// takes an edge kernel: the rows it computes get the same bits,
			// and the rows past mt were never read.
			t := tile[:mr*nr]
			g.kern.forRows(mt)(kb, g.alpha, ap, bp, t, nr, mode|modeStore)
			g.edgeTile(t, off, mt, nt, mode)
		}
	}
}

// edgeTile writes the first mt rows and nt columns of an edge tile t
// (rows nr apart) to C from off: copied when storing, else added.
func (g *gemm) edgeTile(t []float32, off, mt, nt int, mode uint8) {
	nr := g.kern.nr
	for i := 0; i < mt; i++ {
		row := g.c[off+i*g.ldc : off+i*g.ldc+nt]
		if mode&modeStore != 0 {
			copy(row, t[i*nr:i*nr+nt])
			continue
		}
		for j := range row {
			row[j] += t[i*nr+j]
		}
	}
}

// packA copies op(A)[ic:ic+mb, pc:pc+kb] into panels of mr rows: panel p
// holds, for each of the kb columns in turn, mr consecutive row values,
// zero-padded past mb.
func packA(dst, a []float32, lda int, trans bool, ic, mb, pc, kb, mr int) {
	for ir := 0; ir < mb; ir += mr {
		mt := min(mr, mb-ir)
		panel := dst[ir*kb : ir*kb+mr*kb]
		if trans && mt == mr { // A stored k x m: each k holds the panel's mr values side by side
			packATransFull(panel, a, lda, (pc*lda)+ic+ir, kb, mr)
			continue
		}
		if !trans {
			packRows(panel, a[(ic+ir)*lda+pc:], lda, mr, mt, kb)
			continue
		}
		for i := 0; i < mr; i++ {
			if i >= mt {
				for p := 0; p < kb; p++ {
					panel[p*mr+i] = 0
				}
				continue
			}
			row := ic + ir + i // A stored k x m: element (row, p) at a[p*lda+row]
			for p := 0; p < kb; p++ {
				panel[p*mr+i] = a[(pc+p)*lda+row]
			}
		}
	}
}

// packATransFull packs a full panel of A stored k x m: for each of kb
// rows (stride lda, from off) the mr values side by side. For the
// kernels' mr (12, 6) element by element, inline: copy() of 24-48 bytes
// calls memmove once per k (in study 2's weight gradients, k = T x batch).
func packATransFull(panel, a []float32, lda, off, kb, mr int) {
	if copyRows(panel, a[off:], lda, kb, mr) { // AVX moves where the CPU has them
		return
	}
	switch mr {
	case 12:
		for p := 0; p < kb; p++ {
			d, s := (*[12]float32)(panel[p*12:]), (*[12]float32)(a[off+p*lda:])
			d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
			d[6], d[7], d[8], d[9], d[10], d[11] = s[6], s[7], s[8], s[9], s[10], s[11]
		}
	case 6:
		for p := 0; p < kb; p++ {
			d, s := (*[6]float32)(panel[p*6:]), (*[6]float32)(a[off+p*lda:])
			d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
		}
	default:
		for p := 0; p < kb; p++ {
			copy(panel[p*mr:p*mr+mr], a[off+p*lda:off+p*lda+mr])
		}
	}
}

// packRows packs a panel of width values per k from rows (<= width) rows
// of src stored ld apart (A stored m x k, B stored n x k), zero-padding
// the values past rows.
func packRows(panel, src []float32, ld, width, rows, kb int) {
	transposeRows(panel, src, ld, width, rows, kb)
	for p := 0; rows < width && p < kb; p++ {
		clear(panel[p*width+rows : p*width+width])
	}
}

// transposeRows packs rows rows of kb floats, stored ld apart from src,
// k-major with stride ldd: dst[p*ldd+i] = src[i*ld+p]. It is the packing
// of A stored m x k and of B stored n x k (a panel's mr or nr values of
// one k are a column of src). transposeRowsSIMD moves the leading blocks
// of 8 k of an even number of rows where the CPU has AVX; the loop below
// copies what is left, element by element.
func transposeRows(dst, src []float32, ld, ldd, rows, kb int) {
	if rows <= 0 || kb <= 0 {
		return
	}
	_ = dst[(kb-1)*ldd+rows-1]
	_ = src[(rows-1)*ld+kb-1]
	p0, i0 := transposeRowsSIMD(dst, src, ld, ldd, rows, kb)
	for i := 0; i < rows; i++ {
		first := p0 // rows below i0 have their first p0 k in place
		if i >= i0 {
			first = 0
		}
		row := src[i*ld : i*ld+kb]
		for p := first; p < kb; p++ {
			dst[p*ldd+i] = row[p]
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into panels of nr columns: panel q
// holds, for each of the kb rows in turn, nr consecutive column values,
// zero-padded past nb.
func packB(dst, b []float32, ldb int, trans bool, pc, kb, jc, nb, nr int) {
	for jr := 0; jr < nb; jr += nr {
		nt := min(nr, nb-jr)
		panel := dst[jr*kb : jr*kb+nr*kb]
		if trans { // B stored n x k: op(B)'s column j is row jc+jr+j of b
			packRows(panel, b[(jc+jr)*ldb+pc:], ldb, nr, nt, kb)
			continue
		}
		if nt == nr && copyRows(panel, b[pc*ldb+jc+jr:], ldb, kb, nr) {
			continue
		}
		for p := 0; p < kb; p++ {
			src := b[(pc+p)*ldb+jc+jr : (pc+p)*ldb+jc+jr+nt]
			dp := panel[p*nr : p*nr+nr]
			copy(dp, src)
			clear(dp[nt:])
		}
	}
}

// kernel6x16Go is the portable micro-kernel: C[0:6, 0:16] += alpha * Ap * Bp
// for packed panels Ap (kb x 6) and Bp (kb x 16), C with row stride ldc.
func kernel6x16Go(kb int, alpha float32, ap, bp, c []float32, ldc int, mode uint8) {
	const mr, nr = 6, 16
	var acc [mr][nr]float32
	ap = ap[:kb*mr]
	bp = bp[:kb*nr]
	for p := 0; p < kb; p++ {
		b := (*[nr]float32)(bp[p*nr:])
		a := (*[mr]float32)(ap[p*mr:])
		for i := 0; i < mr; i++ {
			ai := a[i]
			r := &acc[i]
			for j := 0; j < nr; j++ {
				r[j] += ai * b[j]
			}
		}
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		if mode&modeHalf != 0 {
			for j := range row {
				v := RoundHalfScalar(acc[i][j] + 0)
				if mode&modeScale != 0 {
					v = RoundHalfScalar(alpha * v)
				}
				if mode&modeStore != 0 {
					row[j] = v
				} else {
					row[j] += v
				}
			}
			continue
		}
		if mode&modeStore != 0 {
			clear(row)
		}
		for j := range row {
			row[j] += alpha * acc[i][j]
		}
	}
}
