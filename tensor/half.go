package tensor

import (
	"fmt"

	"github.com/circuitry-lab/circuitry/kernels"
)

// Precision is how a layer's matrix products are computed.
type Precision int

const (
	// Float32 products: float32 inputs, float32 accumulation and result.
	Float32 Precision = iota
	// Float16Autocast mimics PyTorch's autocast on a CUDA device, under
	// which the study's forward (and so its backward) ran: the inputs of
	// every matrix product are rounded to IEEE half, products accumulate in
	// float32, and the result is rounded to half (autocast's fp16 output:
	// values beyond 65504 overflow to inf). Adding it to dst (beta != 0,
	// e.g. gradient accumulation into float32 parameters) is float32.
	Float16Autocast
)

var precisionNames = []string{"float32", "float16_autocast"}

func (p Precision) String() string { return precisionNames[p] }

// ParsePrecision reads a precision by its config name.
func ParsePrecision(s string) (Precision, error) {
	for i, n := range precisionNames {
		if s == n {
			return Precision(i), nil
		}
	}
	return 0, fmt.Errorf("unknown precision %q: want float32 or float16_autocast", s)
}

// RoundHalf rounds f to the nearest IEEE 754 binary16 value (ties to
// even), returned as float32: |f| >= 65520 becomes inf, values below 2^-14
// keep binary16's subnormal spacing 2^-24, NaN stays NaN.
func RoundHalf(f float32) float32 { return kernels.RoundHalfScalar(f) }

// roundHalfInto writes the half-rounded copy of m into *buf (reused).
func roundHalfInto(buf **Mat, m *Mat) *Mat {
	out := ensureScratch(buf, m.Rows, m.Cols)
	for r := 0; r < m.Rows; r++ {
		src, dst := m.Row(r), out.Row(r)
		kernels.RoundHalf(dst, src) // F16C where the CPU has it: the same bits
	}
	return out
}

// ensureScratch is Ensure for a scratch buffer, whose earlier contents
// are dead once it is reused: a reshape within its capacity changes *buf's
// header in place instead of allocating a new one, so a layer whose
// products round operands of several shapes into one buffer allocates
// nothing per step.
func ensureScratch(buf **Mat, r, c int) *Mat {
	if m := *buf; m != nil && cap(m.Data) >= r*c {
		*m = Mat{Rows: r, Cols: c, Stride: max(c, 1), Data: m.Data[:r*c]}
		return m
	}
	return Ensure(buf, r, c)
}

// HalfScratch holds the rounded copies of one layer's product operands,
// so float16 products allocate only on their first call.
type HalfScratch struct{ a, b, c *Mat }

// MatMulP is MatMulN at precision p; s is the layer's scratch (used only
// for Float16Autocast).
func MatMulP(p Precision, s *HalfScratch, workers int, dst *Mat, a *Mat, transA bool, b *Mat, transB bool, alpha, beta float32) {
	if p == Float32 {
		MatMulN(workers, dst, a, transA, b, transB, alpha, beta)
		return
	}
	MatMulRounded(p, s, workers, dst, roundHalfInto(&s.a, a), transA, roundHalfInto(&s.b, b), transB, alpha, beta)
}

// Rounded returns the operand m as a product at precision p reads it: m
// itself at Float32, its half-rounded copy (in *buf, reused) otherwise. A
// layer whose input or weights enter several products rounds them once
// and passes the copy to MatMulRounded.
func Rounded(p Precision, buf **Mat, m *Mat) *Mat {
	if p == Float32 {
		return m
	}
	return roundHalfInto(buf, m)
}

// RoundedStack writes the half-rounded copies of ms, which must share a
// width, one below another into *buf (reused): the weights of several
// products of one input become the B operand of a single product. Each
// element of its result is the sum the product alone would give (the
// kernels' sum order depends only on the shared depth), so splitting the
// result by rows of ms reproduces the separate products bit for bit.
func RoundedStack(buf **Mat, ms ...*Mat) *Mat {
	rows := 0
	for _, m := range ms {
		if m.Cols != ms[0].Cols {
			panic(fmt.Sprintf("tensor: RoundedStack of widths %d and %d", ms[0].Cols, m.Cols))
		}
		rows += m.Rows
	}
	out := Ensure(buf, rows, ms[0].Cols)
	r0 := 0
	for _, m := range ms {
		for r := 0; r < m.Rows; r++ {
			kernels.RoundHalf(out.Row(r0+r), m.Row(r))
		}
		r0 += m.Rows
	}
	return out
}

// StackedProduct sets prod = a stack^T, stack the rows of ws one below
// another (they share a's width), for a float16 product whose weights
// are kept in float32: a is already rounded, and each weight is rounded to
// half as the product reads it (kernels.SgemmHalfRowsN), so no rounded
// stack is written. prod holds float32 sums, to be finished by
// HalfResult. blocks is the caller's scratch. It reports false, computing
// nothing, for products the kernels do not fuse that way; RoundedStack and
// MatMulN give the same bits.
func StackedProduct(workers int, prod, a *Mat, ws []*Mat, blocks *[]kernels.RowBlock) bool {
	*blocks = (*blocks)[:0]
	n := 0
	for _, w := range ws {
		if w.Cols != a.Cols {
			panic(fmt.Sprintf("tensor: StackedProduct of a %dx%d input and a %dx%d weight", a.Rows, a.Cols, w.Rows, w.Cols))
		}
		*blocks = append(*blocks, kernels.RowBlock{Data: w.Data, Rows: w.Rows, Stride: w.Stride})
		n += w.Rows
	}
	if prod.Rows != a.Rows || prod.Cols != n {
		panic(fmt.Sprintf("tensor: StackedProduct of %d rows and %d weight rows into %dx%d", a.Rows, n, prod.Rows, prod.Cols))
	}
	return kernels.SgemmHalfRowsN(workers, a.Rows, a.Cols, a.Data, a.Stride, *blocks, prod.Data, prod.Stride)
}

// MatMulRounded is MatMulP for operands already as precision p reads them
// (from Rounded, RoundedStack or a float16 product's result): at
// Float16Autocast it skips their rounding, which would leave them unchanged.
func MatMulRounded(p Precision, s *HalfScratch, workers int, dst *Mat, a *Mat, transA bool, b *Mat, transB bool, alpha, beta float32) {
	if p == Float32 {
		MatMulN(workers, dst, a, transA, b, transB, alpha, beta)
		return
	}
	m, k, n := dims("MatMulRounded", dst, a, transA, b, transB)
	if kernels.SgemmHalfN(workers, transA, transB, m, n, k, alpha, a.Data, a.Stride, b.Data, b.Stride, beta, dst.Data, dst.Stride) {
		return // the epilogue fused into the kernel: the same bits, one pass fewer
	}
	prod := Ensure(&s.c, dst.Rows, dst.Cols)
	MatMulN(workers, prod, a, transA, b, transB, 1, 0)
	HalfResult(dst, prod, alpha, beta)
}

// HalfResult finishes a float16 product whose float32 sums are in prod:
// dst = alpha * half(prod) (rounded to half again) + beta * dst, as
// MatMulP does. prod may be a column range of a wider product.
func HalfResult(dst, prod *Mat, alpha, beta float32) {
	mustSameShape("HalfResult", dst, prod)
	for r := 0; r < dst.Rows; r++ {
		d, q := dst.Row(r), prod.Row(r)
		if beta == 0 || beta == 1 { // every layer's case: one vectorised pass
			kernels.HalfEpilogue(d, q, alpha, beta == 1)
			continue
		}
		kernels.HalfEpilogue(q, q, alpha, false)
		for j, v := range q {
			d[j] = beta*d[j] + v
		}
	}
}
