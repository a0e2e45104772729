package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// SgemmHalfRowsN gives the bits of rounding its blocks into one stacked
// matrix and multiplying that: every dot kernel, blocks with strides wider
// than k, of row counts that split the kernel's B tiles (and an empty
// one), depths with a tail, 1 and 2 workers, C's old contents (NaN) never
// read. A tile taking a row from the wrong block, a wrong row within one,
// or an unrounded value fails it. Products the dot path does not take are
// refused, and C is left alone.
func TestSgemmHalfRowsIsTheStackedProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 3)
		}
		return x
	}
	for _, kern := range dotKernels(t) {
		old, _ := UseKernel(kern.name)
		for _, s := range []struct {
			m, k int
			rows []int
		}{{32, 784, []int{50, 5, 50}}, {48, 100, []int{7}}, {5, 64, []int{3, 0, 9, 1}}, {17, 301, []int{13, 4}}} {
			var blocks []RowBlock
			var stacked []float32
			for _, r := range s.rows {
				stride := s.k + 3
				data := fill(r * stride)
				blocks = append(blocks, RowBlock{Data: data, Rows: r, Stride: stride})
				for i := 0; i < r; i++ {
					row := make([]float32, s.k)
					RoundHalf(row, data[i*stride:i*stride+s.k])
					stacked = append(stacked, row...)
				}
			}
			n := len(stacked) / s.k
			a := fill(s.m * s.k)
			RoundHalf(a, a)
			want := make([]float32, s.m*n)
			SgemmN(1, false, true, s.m, n, s.k, 1, a, s.k, stacked, s.k, 0, want, n)
			for _, workers := range []int{1, 2} {
				name := fmt.Sprintf("%s/%dx%v x%d/%d workers", kern.name, s.m, s.rows, s.k, workers)
				got := make([]float32, s.m*n)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				if !SgemmHalfRowsN(workers, s.m, s.k, a, s.k, blocks, got, n) {
					t.Fatalf("%s: refused a dot-path product", name)
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: C[%d][%d] = %v, stacked %v", name, i/n, i%n, got[i], want[i])
					}
				}
			}
		}
		for _, s := range []struct{ m, k int }{{dotMaxM + 1, 100}, {8, dotMinK - 1}} {
			blocks := []RowBlock{{Data: fill(4 * s.k), Rows: 4, Stride: s.k}}
			c := make([]float32, s.m*4)
			for i := range c {
				c[i] = 7
			}
			if SgemmHalfRowsN(1, s.m, s.k, fill(s.m*s.k), s.k, blocks, c, 4) {
				t.Errorf("%s: %d x %d, off the dot path, was computed", kern.name, s.m, s.k)
			}
			for i, v := range c {
				if v != 7 {
					t.Fatalf("%s: %d x %d refused, but C[%d] was written", kern.name, s.m, s.k, i)
				}
			}
		}
		UseKernel(old)
	}
}

// A product allocates nothing once its pooled buffers exist (the blocks'
// names are formatted only for a block that does not fit), and a block too
// short for its rows is named in the panic.
func TestSgemmHalfRowsAllocatesNothing(t *testing.T) {
	if len(dotKernels(t)) == 0 {
		t.Skip("no dot kernel")
	}
	k, m := 100, 8
	blocks := []RowBlock{{Data: make([]float32, 5*k), Rows: 5, Stride: k}, {Data: make([]float32, 3*k), Rows: 3, Stride: k}}
	a, c := make([]float32, m*k), make([]float32, m*8)
	product := func() { SgemmHalfRowsN(1, m, k, a, k, blocks, c, 8) }
	product()
	if n := testing.AllocsPerRun(10, product); n != 0 {
		t.Errorf("%v allocations per product", n)
	}
	blocks[1].Data = blocks[1].Data[:2*k]
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "B block 1") {
			t.Errorf("panic %q does not name B block 1", msg)
		}
	}()
	product()
}
