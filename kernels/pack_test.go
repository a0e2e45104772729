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
