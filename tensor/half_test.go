package tensor

import (
	"math"
	"testing"
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
