package analysis

import (
	"math"
	"testing"
)

func seq(lo, hi float64) []float64 {
	var s []float64
	for v := lo; v <= hi; v++ {
		s = append(s, v)
	}
	return s
}

// Reference values from scipy 1.10 (mannwhitneyu, ttest_ind(equal_var=False)).
func TestMannWhitneyUMatchesScipy(t *testing.T) {
	x := []float64{0.85, 0.86, 0.86, 0.87, 0.84, 0.83, 0.88, 0.85, 0.86, 0.9}
	y := []float64{0.84, 0.85, 0.83, 0.86, 0.82, 0.86, 0.84, 0.81, 0.85, 0.83, 0.80}
	cases := []struct {
		name string
		x, y []float64
		u, p float64
	}{
		{"exact 5v5", seq(1, 5), seq(6, 10), 0, 0.007936507936507936},
		{"exact 5v12", seq(1, 5), seq(6, 17), 0, 0.0003232062055591467},
		{"asymptotic with ties", x, y, 89, 0.016910246130863154},
		{"asymptotic 20v20", seq(1, 20), seq(11, 30), 50, 5.2125496206037515e-05},
		{"ties force asymptotic", seq(1, 9), []float64{6, 7.5, 8.5, 9.5, 10, 11, 12, 13, 14}, 6.5, 0.0030798890090938495},
	}
	for _, c := range cases {
		u, p := MannWhitneyU(c.x, c.y)
		if u != c.u || math.Abs(p-c.p) > 1e-9*max(1, c.p*1e3) {
			t.Errorf("%s: U=%v p=%.12g, want U=%v p=%.12g", c.name, u, p, c.u, c.p)
		}
	}
	// Symmetry: swapping samples gives n1*n2 - U and the same p.
	u1, p1 := MannWhitneyU(x, y)
	u2, p2 := MannWhitneyU(y, x)
	if u1+u2 != 110 || math.Abs(p1-p2) > 1e-12 {
		t.Fatalf("swap: %v %v %v %v", u1, u2, p1, p2)
	}
}

func TestWelchTMatchesScipy(t *testing.T) {
	x := []float64{0.85, 0.86, 0.86, 0.87, 0.84, 0.83, 0.88, 0.85, 0.86, 0.9}
	y := []float64{0.84, 0.85, 0.83, 0.86, 0.82, 0.86, 0.84, 0.81, 0.85, 0.83, 0.80}
	tt, _, p := WelchT(x, y)
	if math.Abs(tt-2.830369059149178) > 1e-9 || math.Abs(p-0.010788287629171181) > 1e-9 {
		t.Fatalf("t=%v p=%v", tt, p)
	}
	if _, _, p := WelchT([]float64{1}, y); !math.IsNaN(p) {
		t.Fatal("one-sample Welch accepted")
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{3, 1, 4, 1, 5, 9})
	if s.N != 6 || s.Median != 3.5 || s.Mean != 23.0/6 || s.Min != 1 || s.Max != 9 {
		t.Fatalf("%+v", s)
	}
	if m := Median([]float64{2, 7, 1}); m != 2 {
		t.Fatalf("median %v", m)
	}
}
