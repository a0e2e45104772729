package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/kernels"
)

// halfToFloat decodes binary16 bits exactly (reference for the tests).
func halfToFloat(h uint16) float32 {
	sign := float32(1)
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, man := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * float32(man*math.Pow(2, -24))
	case 31:
		if man == 0 {
			return sign * float32(math.Inf(1))
		}
		return float32(math.NaN())
	}
	return sign * float32((1+man/1024)*math.Pow(2, float64(exp-15)))
}

// Every binary16 value is a fixed point, and the midpoint between two
// neighbours rounds to the one with an even mantissa.
func TestRoundHalfExhaustive(t *testing.T) {
	for h := 0; h < 0x10000; h++ {
		v := halfToFloat(uint16(h))
		got := RoundHalf(v)
		if math.IsNaN(float64(v)) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("NaN %#04x -> %v", h, got)
			}
			continue
		}
		if got != v {
			t.Fatalf("half %#04x = %v rounds to %v", h, v, got)
		}
		if h&0x7fff >= 0x7bff || h&0x8000 != 0 {
			continue // the largest finite and negatives: covered by the sign symmetry below
		}
		next := halfToFloat(uint16(h + 1))
		mid := float32((float64(v) + float64(next)) / 2)
		want := v
		if h&1 == 1 {
			want = next
		}
		if got := RoundHalf(mid); got != want {
			t.Fatalf("midpoint of %#04x and %#04x: %v, want %v", h, h+1, got, want)
		}
		if got := RoundHalf(-mid); got != -want {
			t.Fatalf("negative midpoint of %#04x: %v, want %v", h, got, -want)
		}
	}
}

func TestRoundHalfOverflowAndUnderflow(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct{ in, want float32 }{
		{65504, 65504}, {65519, 65504}, {65520, inf}, {1e6, inf}, {-70000, -inf},
		{1, 1}, {1 + 1.0/2048, 1}, {1 + 3.0/2048, 1 + 2.0/1024}, // ties to even
		{5.96e-8, 5.9604645e-8}, {2.9e-8, 0}, {3e-8, 5.9604645e-8}, // 2^-24 and its half
	} {
		if got := RoundHalf(c.in); got != c.want {
			t.Errorf("RoundHalf(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// A float16 product rounds its inputs and result; float32 is untouched.
func TestMatMulPHalf(t *testing.T) {
	a := FromSlice(1, 2, []float32{1 + 1.0/4096, 300})
	b := FromSlice(2, 1, []float32{1, 300})
	dst := New(1, 1)
	var s HalfScratch
	MatMulP(Float32, &s, 1, dst, a, false, b, false, 1, 0)
	if dst.Data[0] != 1+1.0/4096+90000 {
		t.Fatalf("float32: %v", dst.Data[0])
	}
	MatMulP(Float16Autocast, &s, 1, dst, a, false, b, false, 1, 0)
	if !math.IsInf(float64(dst.Data[0]), 1) { // 90001 overflows half
		t.Fatalf("float16 product 90001: %v, want +inf", dst.Data[0])
	}
	dst.Data[0] = 2
	b.Data[1] = 0.5
	MatMulP(Float16Autocast, &s, 1, dst, a, false, b, false, -1, 1) // 2 - round(1.000244 + 150)
	if dst.Data[0] != 2-151 {
		t.Fatalf("float16 accumulate: %v, want %v", dst.Data[0], 2-151)
	}
	if _, err := ParsePrecision("bfloat16"); err == nil {
		t.Fatal("unknown precision accepted")
	}
}

// Wider float16 products (the vectorised epilogue) give the definition's
// bits: operands rounded, float32 product, result rounded, scaled by alpha
// and rounded again, then stored, accumulated, or (other beta) blended;
// dst a strided view, so rows are finished one at a time.
func TestMatMulPHalfMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a, b := New(5, 37), New(37, 29)
	for _, m := range []*Mat{a, b} {
		for i := range m.Data {
			m.Data[i] = float32(rng.NormFloat64() * 30)
		}
	}
	ah, bh := a.Clone(), b.Clone()
	kernels.RoundHalf(ah.Data, ah.Data)
	kernels.RoundHalf(bh.Data, bh.Data)
	prod := New(5, 29)
	MatMulN(1, prod, ah, false, bh, false, 1, 0)
	var s HalfScratch
	for _, alpha := range []float32{1, -1, 0.5} {
		for _, beta := range []float32{0, 1, 0.25} {
			big := New(7, 40)
			for i := range big.Data {
				big.Data[i] = float32(rng.NormFloat64())
			}
			dst := big.View(1, 6, 3, 32)
			want := dst.Clone()
			for i := range want.Data {
				v := RoundHalf(prod.Data[i])
				if alpha != 1 {
					v = RoundHalf(alpha * v)
				}
				if beta == 0 {
					want.Data[i] = v
				} else {
					want.Data[i] = beta*want.Data[i] + v
				}
			}
			MatMulP(Float16Autocast, &s, 1, dst, a, false, b, false, alpha, beta)
			for i := 0; i < dst.Rows; i++ {
				for j := 0; j < dst.Cols; j++ {
					if g, w := dst.At(i, j), want.At(i, j); math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("alpha %g beta %g (%d,%d): %g, want %g", alpha, beta, i, j, g, w)
					}
				}
			}
		}
	}
}

// A layer's products of one input with several weight matrices, done as
// one product of the input rounded once with the weights rounded into one
// stack (RoundedStack, MatMulRounded, HalfResult per column range), give
// the separate MatMulP products' bits: at depths with and without a tail
// past the kernels' 16-wide blocks, batch sizes on the dot and packed
// paths, and a stack of row counts that are not multiples of any tile.
func TestStackedHalfProductsMatchSeparate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	fill := func(m *Mat) *Mat {
		for i := range m.Data {
			m.Data[i] = float32(rng.NormFloat64() * 3)
		}
		return m
	}
	for _, c := range []struct{ rows, depth int }{{32, 784}, {32, 242}, {7, 33}, {64, 100}} {
		x := fill(New(c.rows, c.depth))
		ws := []*Mat{fill(New(23, c.depth)), fill(New(5, c.depth)), fill(New(17, c.depth))}
		var sep HalfScratch
		var xh, stack, prod *Mat
		xr := Rounded(Float16Autocast, &xh, x)
		st := RoundedStack(&stack, ws...)
		MatMulRounded(Float32, &sep, 1, Ensure(&prod, c.rows, st.Rows), xr, false, st, true, 1, 0)
		c0 := 0
		for k, w := range ws {
			want := New(c.rows, w.Rows)
			MatMulP(Float16Autocast, &sep, 1, want, x, false, w, true, 1, 0)
			got := New(c.rows, w.Rows)
			HalfResult(got, prod.View(0, c.rows, c0, c0+w.Rows), 1, 0)
			for i := range want.Data {
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("%dx%d, weight %d, element %d: stacked %v, separate %v", c.rows, c.depth, k, i, got.Data[i], want.Data[i])
				}
			}
			// The backward products read the rounded copies: the same bits as
			// MatMulP rounding the originals again.
			g := fill(New(c.rows, w.Rows))
			wantG, gotG := New(w.Rows, c.depth), New(w.Rows, c.depth)
			MatMulP(Float16Autocast, &sep, 1, wantG, g, true, x, false, 1, 1)
			wv := st.RowRange(c0, c0+w.Rows)
			MatMulRounded(Float16Autocast, &sep, 1, gotG, Rounded(Float16Autocast, new(*Mat), g), true, xr, false, 1, 1)
			wantX, gotX := New(c.rows, c.depth), New(c.rows, c.depth)
			MatMulP(Float16Autocast, &sep, 1, wantX, g, false, w, false, 1, 0)
			MatMulRounded(Float16Autocast, &sep, 1, gotX, Rounded(Float16Autocast, new(*Mat), g), false, &wv, false, 1, 0)
			for i := range wantG.Data {
				if math.Float32bits(gotG.Data[i]) != math.Float32bits(wantG.Data[i]) {
					t.Fatalf("%dx%d, weight %d: gradient element %d: %v, want %v", c.rows, c.depth, k, i, gotG.Data[i], wantG.Data[i])
				}
			}
			for i := range wantX.Data {
				if math.Float32bits(gotX.Data[i]) != math.Float32bits(wantX.Data[i]) {
					t.Fatalf("%dx%d, weight %d: input-error element %d: %v, want %v", c.rows, c.depth, k, i, gotX.Data[i], wantX.Data[i])
				}
			}
			c0 += w.Rows
		}
	}
}
