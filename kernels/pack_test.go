package kernels

import "testing"

// Packing costs as much as the product itself for the studies' thin
// matrices (batch 32 x 784 x 500); these isolate it.
func BenchmarkPack(b *testing.B) {
	const m, k, n = 200, 512, 512
	a, bb := make([]float32, m*k), make([]float32, k*n)
	var buf packBuf
	for _, kern := range []tileKernel{{mr: 6, nr: 16}, {mr: 12, nr: 32}} {
		for _, trans := range []bool{false, true} {
			name := map[bool]string{false: "N", true: "T"}[trans]
			b.Run("A"+name+"/"+itoa(kern.mr), func(b *testing.B) {
				for b.Loop() {
					lda := k
					if trans {
						lda = m
					}
					packA(buf.a[:], a, lda, trans, 0, min(mc, m), 0, kc, kern.mr)
				}
				b.SetBytes(int64(4 * min(mc, m) * kc))
			})
			b.Run("B"+name+"/"+itoa(kern.nr), func(b *testing.B) {
				for b.Loop() {
					packB(buf.b[:], bb, n, trans, 0, kc, 0, n, kern.nr)
				}
				b.SetBytes(int64(4 * n * kc))
			})
		}
	}
}

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

// copyRows (packed B panels, and A panels when A is stored k x m) copies
// exactly rows x n floats for every width it takes, writing nothing past
// them, and declines other widths; on CPUs without AVX it declines all.
func TestCopyRowsCopiesExactly(t *testing.T) {
	for _, n := range []int{6, 12, 16, 32} {
		for _, rows := range []int{1, 2, 7, 33} {
			ld := n + 5
			src := make([]float32, (rows-1)*ld+n)
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			dst := make([]float32, rows*n+3)
			for i := range dst {
				dst[i] = -1
			}
			if !copyRows(dst, src, ld, rows, n) {
				if useAVXCopy {
					t.Fatalf("n %d: declined", n)
				}
				continue
			}
			for r := 0; r < rows; r++ {
				for j := 0; j < n; j++ {
					if dst[r*n+j] != src[r*ld+j] {
						t.Fatalf("n %d rows %d: dst[%d] = %v, want %v", n, rows, r*n+j, dst[r*n+j], src[r*ld+j])
					}
				}
			}
			for i := rows * n; i < len(dst); i++ {
				if dst[i] != -1 {
					t.Fatalf("n %d rows %d: wrote dst[%d] past the copy", n, rows, i)
				}
			}
		}
	}
	if copyRows(make([]float32, 64), make([]float32, 64), 8, 8, 8) {
		t.Fatal("width 8 copied")
	}
}

// transposeRows writes exactly dst[p*ldd+i] = src[i*ld+p] for every row
// count (quads, a pair, an odd last row) and depth (whole blocks of 8 k
// and a tail), and nothing between or past its columns.
func TestTransposeRowsIsTheLoop(t *testing.T) {
	for rows := 1; rows <= 34; rows++ {
		for _, kb := range []int{1, 7, 8, 9, 16, 23, 32, 67} {
			ld, ldd := kb+3, rows+2
			src := make([]float32, (rows-1)*ld+kb)
			for i := range src {
				src[i] = float32(i) + 0.25
			}
			dst := make([]float32, kb*ldd+5)
			for i := range dst {
				dst[i] = -1
			}
			transposeRows(dst, src, ld, ldd, rows, kb)
			for i, v := range dst {
				p, r := i/ldd, i%ldd
				want := float32(-1)
				if p < kb && r < rows {
					want = src[r*ld+p]
				}
				if v != want {
					t.Fatalf("rows %d kb %d: dst[%d] (k %d, row %d) = %v, want %v", rows, kb, i, p, r, v, want)
				}
			}
		}
	}
}
