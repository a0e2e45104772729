package tensor

import (
	"fmt"

	"github.com/circuitry-lab/circuitry/kernels"
)

// Mat is a Rows x Cols float32 matrix stored row-major in Data with row
// stride Stride >= Cols. Element (i, j) is Data[i*Stride+j].
type Mat struct {
	Rows, Cols, Stride int
	Data               []float32
}

// New returns a zeroed r x c matrix.
func New(r, c int) *Mat {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("tensor: negative shape %dx%d", r, c))
	}
	return &Mat{Rows: r, Cols: c, Stride: max(c, 1), Data: make([]float32, r*c)}
}

// FromSlice wraps data (len r*c, row-major) without copying.
func FromSlice(r, c int, data []float32) *Mat {
	if len(data) != r*c {
		panic(fmt.Sprintf("tensor: %d values for a %dx%d matrix", len(data), r, c))
	}
	return &Mat{Rows: r, Cols: c, Stride: max(c, 1), Data: data}
}

// Ensure returns *m reshaped to r x c, reusing its storage when it is large
// enough and contiguous, so layers can keep one output buffer per batch
// size without allocating every step. A nil *m is allocated.
func Ensure(m **Mat, r, c int) *Mat {
	if *m != nil && (*m).Rows == r && (*m).Cols == c && (*m).Contiguous() {
		return *m
	}
	if *m != nil && cap((*m).Data) >= r*c {
		*m = &Mat{Rows: r, Cols: c, Stride: max(c, 1), Data: (*m).Data[:r*c]}
		return *m
	}
	*m = New(r, c)
	return *m
}

// Contiguous reports whether the rows are packed without gaps.
func (m *Mat) Contiguous() bool { return m.Stride == m.Cols || m.Rows <= 1 }

// At returns element (i, j).
func (m *Mat) At(i, j int) float32 { return m.Data[i*m.Stride+j] }

// Set sets element (i, j).
func (m *Mat) Set(i, j int, v float32) { m.Data[i*m.Stride+j] = v }

// Row returns row i as a slice sharing storage.
func (m *Mat) Row(i int) []float32 { return m.Data[i*m.Stride : i*m.Stride+m.Cols] }

// View returns rows [r0, r1) and columns [c0, c1) as a matrix sharing storage.
func (m *Mat) View(r0, r1, c0, c1 int) *Mat {
	if r0 < 0 || r1 > m.Rows || r0 > r1 || c0 < 0 || c1 > m.Cols || c0 > c1 {
		panic(fmt.Sprintf("tensor: view [%d:%d, %d:%d] of %dx%d", r0, r1, c0, c1, m.Rows, m.Cols))
	}
	if r1 == r0 || c1 == c0 {
		return &Mat{Rows: r1 - r0, Cols: c1 - c0, Stride: m.Stride}
	}
	start := r0*m.Stride + c0
	end := (r1-1)*m.Stride + c1
	return &Mat{Rows: r1 - r0, Cols: c1 - c0, Stride: m.Stride, Data: m.Data[start:end]}
}

// RowRange returns rows [r0, r1) as a matrix value sharing storage. Being
// a value, it stays on the stack in time loops (View allocates).
func (m *Mat) RowRange(r0, r1 int) Mat {
	if r0 < 0 || r1 > m.Rows || r0 > r1 {
		panic("tensor: row range out of bounds")
	}
	return Mat{Rows: r1 - r0, Cols: m.Cols, Stride: m.Stride, Data: m.Data[r0*m.Stride : r1*m.Stride]}
}

// Zero sets every element to 0.
func (m *Mat) Zero() { m.Fill(0) }

// Fill sets every element to v.
func (m *Mat) Fill(v float32) {
	for i := 0; i < m.Rows; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] = v
		}
	}
}

// Copy copies src into m; shapes must match.
func (m *Mat) Copy(src *Mat) {
	mustSameShape("Copy", m, src)
	for i := 0; i < m.Rows; i++ {
		copy(m.Row(i), src.Row(i))
	}
}

// CopyN is Copy on up to workers goroutines (0: as many as pay).
func (m *Mat) CopyN(workers int, src *Mat) {
	if d, s, ok := m.flatPair("Copy", src); ok {
		kernels.CopyN(workers, d, s)
		return
	}
	m.Copy(src)
}

// AddN is Add on up to workers goroutines (0: as many as pay), vectorised;
// the same bits as Add.
func (m *Mat) AddN(workers int, src *Mat) {
	if d, s, ok := m.flatPair("Add", src); ok {
		kernels.AddN(workers, d, s)
		return
	}
	m.Add(src)
}

// flatPair checks that src has m's shape (panicking in op's name if not)
// and returns both as flat slices when neither has a row gap.
func (m *Mat) flatPair(op string, src *Mat) (dst, s []float32, ok bool) {
	mustSameShape(op, m, src)
	if m.Stride != m.Cols || src.Stride != src.Cols {
		return nil, nil, false
	}
	n := m.Rows * m.Cols
	return m.Data[:n], src.Data[:n], true
}

// Add adds src to m element by element (float32); shapes must match.
func (m *Mat) Add(src *Mat) {
	mustSameShape("Add", m, src)
	for i := 0; i < m.Rows; i++ {
		d, s := m.Row(i), src.Row(i)
		for j, v := range s {
			d[j] += v
		}
	}
}

// Clone returns a contiguous copy of m.
func (m *Mat) Clone() *Mat {
	c := New(m.Rows, m.Cols)
	c.Copy(m)
	return c
}

func (m *Mat) String() string { return fmt.Sprintf("Mat(%dx%d)", m.Rows, m.Cols) }

func mustSameShape(op string, a, b *Mat) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("tensor: %s shape mismatch %dx%d vs %dx%d", op, a.Rows, a.Cols, b.Rows, b.Cols))
	}
}

// MatMul sets dst = alpha * op(a) * op(b) + beta * dst, where op transposes
// when the matching flag is set. Shapes are programming errors and panic.
func MatMul(dst *Mat, a *Mat, transA bool, b *Mat, transB bool, alpha, beta float32) {
	MatMulN(0, dst, a, transA, b, transB, alpha, beta)
}

// MatMulN is MatMul on at most workers goroutines (0: as many as pay; see
// kernels.SgemmN). Layers pass their Workers field.
func MatMulN(workers int, dst *Mat, a *Mat, transA bool, b *Mat, transB bool, alpha, beta float32) {
	m, k, n := dims("MatMul", dst, a, transA, b, transB)
	kernels.SgemmN(workers, transA, transB, m, n, k, alpha, a.Data, a.Stride, b.Data, b.Stride, beta, dst.Data, dst.Stride)
}

// dims returns m, k, n of dst = op(a) op(b), panicking (a programming
// error) when the shapes do not fit.
func dims(op string, dst, a *Mat, transA bool, b *Mat, transB bool) (m, k, n int) {
	m, k = a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || dst.Rows != m || dst.Cols != n {
		panic(fmt.Sprintf("tensor: %s %dx%d(T=%v) * %dx%d(T=%v) into %dx%d", op, a.Rows, a.Cols, transA, b.Rows, b.Cols, transB, dst.Rows, dst.Cols))
	}
	return m, k, n
}

// AddRow adds the vector v (len Cols) to every row of m.
func (m *Mat) AddRow(v []float32) {
	if len(v) != m.Cols {
		panic(fmt.Sprintf("tensor: AddRow of %d values to %d columns", len(v), m.Cols))
	}
	for i := 0; i < m.Rows; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] += v[j]
		}
	}
}

// SumRowsInto adds the column sums of m (the sum over rows) into dst.
func (m *Mat) SumRowsInto(dst []float32) {
	if len(dst) != m.Cols {
		panic(fmt.Sprintf("tensor: SumRowsInto %d values from %d columns", len(dst), m.Cols))
	}
	for i := 0; i < m.Rows; i++ {
		row := m.Row(i)
		for j, v := range row {
			dst[j] += v
		}
	}
}

// PackB packs op(b) into pb for MatMulPacked: products that share one B
// (a recurrent weight over time steps) pack it once. b's values must not
// change while pb is in use; pack again when they do.
func PackB(pb *kernels.PackedB, b *Mat, transB bool) {
	k, n := b.Rows, b.Cols
	if transB {
		k, n = n, k
	}
	pb.Pack(transB, k, n, b.Data, b.Stride)
}

// MatMulPacked is MatMulN with op(B) from pb (PackB): the same bits.
func MatMulPacked(workers int, dst *Mat, a *Mat, transA bool, pb *kernels.PackedB, alpha, beta float32) {
	m, k := a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := pb.Dims()
	if k != kb || dst.Rows != m || dst.Cols != n {
		panic(fmt.Sprintf("tensor: MatMulPacked %dx%d(T=%v) * packed %dx%d into %dx%d", a.Rows, a.Cols, transA, kb, n, dst.Rows, dst.Cols))
	}
	kernels.SgemmPackedN(workers, transA, m, alpha, a.Data, a.Stride, pb, beta, dst.Data, dst.Stride)
}
