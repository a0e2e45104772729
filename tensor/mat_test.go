package tensor

import (
	"math"
	"testing"
)

func TestViewSharesStorage(t *testing.T) {
	m := New(4, 5)
	for i := range m.Data {
		m.Data[i] = float32(i)
	}
	v := m.View(1, 3, 2, 5)
	if v.Rows != 2 || v.Cols != 3 || v.Stride != 5 || v.At(0, 0) != 7 || v.At(1, 2) != 14 {
		t.Fatalf("view = %+v", v)
	}
	v.Set(1, 1, -1)
	if m.At(2, 3) != -1 {
		t.Fatal("view write did not reach parent")
	}
	if v.Contiguous() {
		t.Fatal("strided view reported contiguous")
	}
	c := v.Clone()
	if !c.Contiguous() || c.At(1, 1) != -1 {
		t.Fatalf("clone = %+v", c)
	}
}

func TestMatMulStridedViews(t *testing.T) {
	a := New(5, 6)
	b := New(6, 7)
	for i := range a.Data {
		a.Data[i] = float32(i%7) - 3
	}
	for i := range b.Data {
		b.Data[i] = float32(i%5) - 2
	}
	av := a.View(1, 4, 1, 5) // 3x4
	bv := b.View(2, 6, 3, 7) // 4x4
	dst := New(3, 4)
	MatMul(dst, av, false, bv, false, 1, 0)
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			var s float32
			for p := 0; p < 4; p++ {
				s += av.At(i, p) * bv.At(p, j)
			}
			if math.Abs(float64(dst.At(i, j)-s)) > 1e-5 {
				t.Fatalf("(%d,%d) = %v want %v", i, j, dst.At(i, j), s)
			}
		}
	}
	// a^T * a through the transpose flag equals the explicit Gram matrix.
	g := New(4, 4)
	MatMul(g, av, true, av, false, 1, 0)
	var s float32
	for p := 0; p < 3; p++ {
		s += av.At(p, 1) * av.At(p, 2)
	}
	if g.At(1, 2) != s || g.At(2, 1) != s {
		t.Fatalf("gram (1,2) = %v, want %v", g.At(1, 2), s)
	}
}

func TestMatMulShapePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("mismatched MatMul did not panic")
		}
	}()
	MatMul(New(2, 2), New(2, 3), false, New(2, 2), false, 1, 0)
}

func TestEnsureReuses(t *testing.T) {
	var m *Mat
	a := Ensure(&m, 4, 4)
	b := Ensure(&m, 2, 8)
	if &a.Data[0] != &b.Data[0] || b.Rows != 2 || b.Cols != 8 {
		t.Fatal("Ensure reallocated a large-enough buffer")
	}
	c := Ensure(&m, 5, 5)
	if c.Rows != 5 || len(c.Data) != 25 {
		t.Fatalf("Ensure grow = %+v", c)
	}
}

func TestAddRowSumRows(t *testing.T) {
	m := FromSlice(2, 3, []float32{1, 2, 3, 4, 5, 6})
	m.AddRow([]float32{1, 0, -1})
	got := make([]float32, 3)
	m.SumRowsInto(got)
	want := []float32{7, 7, 7}
	for j := range want {
		if got[j] != want[j] {
			t.Fatalf("SumRows = %v, want %v", got, want)
		}
	}
}

// CopyN and AddN give Copy's and Add's results on flat matrices (split
// across workers) and on views with a row gap (element by element), and
// leave the parent's elements outside a view alone.
func TestCopyNAddNMatchCopyAdd(t *testing.T) {
	for _, workers := range []int{1, 2} {
		parent := New(300, 70)
		for i := range parent.Data {
			parent.Data[i] = float32(i%13) - 6.5
		}
		for _, dst := range []*Mat{New(300, 60), parent.View(0, 300, 5, 65)} {
			src := New(300, 60)
			for i := range src.Data {
				src.Data[i] = float32(i%7) * 0.25
			}
			before := parent.Clone()
			dst.CopyN(workers, src)
			dst.AddN(workers, src)
			for r := 0; r < 300; r++ {
				for c := 0; c < 60; c++ {
					if got, want := dst.At(r, c), src.At(r, c)+src.At(r, c); got != want {
						t.Fatalf("workers %d: (%d, %d) = %v, want %v", workers, r, c, got, want)
					}
				}
				if dst.Stride == 70 && (parent.At(r, 0) != before.At(r, 0) || parent.At(r, 69) != before.At(r, 69)) {
					t.Fatalf("row %d: wrote outside the view", r)
				}
			}
		}
	}
}
