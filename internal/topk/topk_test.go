package topk

import (
	"math/rand/v2"
	"sort"
	"testing"
)

func TestIndicesMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 200; trial++ {
		n := rng.IntN(50) + 1
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.IntN(20)) // ties on purpose
		}
		k := rng.IntN(6) + 1
		got := Indices(make([]int, k), x)
		ref := make([]int, n)
		for i := range ref {
			ref[i] = i
		}
		sort.SliceStable(ref, func(a, b int) bool { return x[ref[a]] > x[ref[b]] })
		want := ref[:min(k, n)]
		for i := range want {
			if x[got[i]] != x[want[i]] {
				t.Fatalf("x=%v k=%d: got %v want %v", x, k, got, want)
			}
		}
	}
	if a := testing.AllocsPerRun(10, func() { Indices(make([]int, 3), []float32{1, 2, 3, 4}) }); a > 1 {
		t.Fatalf("%v allocs", a)
	}
}
