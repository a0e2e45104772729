package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"
	"testing"
)

func TestSavePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	p, err := Lines("acc", "eps", "accuracy", []Series{
		{Name: "a", X: []float64{0, 0.5, 1}, Y: []float64{0.9, 0.8, math.NaN()}, Lo: []float64{0.85, 0.7, 0}, Hi: []float64{0.95, 0.85, 1}},
		{Name: "b", X: []float64{0, 1}, Y: []float64{0.7, 0.6}},
	})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Save(p, dir, "fig")
	if err != nil || len(paths) != 2 {
		t.Fatal(err)
	}
	png, _ := os.ReadFile(paths[0])
	svg, _ := os.ReadFile(paths[1])
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 2000 {
		t.Fatalf("png: %d bytes", len(png))
	}
	if !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "accuracy") {
		t.Fatal("svg lacks its axis label")
	}
	s, err := Scatter("paired", "A", "B", []float64{0.8, 0.9}, []float64{0.82, 0.88})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Save(s, dir, "scatter"); err != nil {
		t.Fatal(err)
	}
}

// A NaN breaks a line: the runs on either side are drawn apart.
func TestFiniteRunsBreakAtNaN(t *testing.T) {
	nan := math.NaN()
	runs := finiteRuns([]float64{0, 1, nan, 3, 4, 5}, []float64{3, 3.1, nan, -3.1, -3, -2.9})
	if len(runs) != 2 || len(runs[0]) != 2 || len(runs[1]) != 3 {
		t.Fatalf("%v", runs)
	}
	if _, err := Lines("t", "x", "y", []Series{{Name: "a", X: []float64{0, nan, 2}, Y: []float64{1, nan, 2}}}); err != nil {
		t.Fatal(err)
	}
}

// Past the palette's 8 colours a series must still look unlike every
// other: study 1's accuracy figure draws 9 conditions, and its first and
// ninth (E-I LN- and I-Norm + decorrelate) were drawn alike.
func TestSeriesStylesAreDistinct(t *testing.T) {
	seen := map[string]int{}
	for i := 0; i < 64; i++ {
		key := fmt.Sprintf("%v|%T|%v", seriesColor(i), seriesShape(i), seriesDashes(i))
		if j, ok := seen[key]; ok {
			t.Fatalf("series %d and %d share colour, marker and dashes (%s)", j, i, key)
		}
		seen[key] = i
		if i >= 8 && fmt.Sprintf("%T", seriesShape(i)) == fmt.Sprintf("%T", seriesShape(i-8)) {
			t.Fatalf("series %d has series %d's colour and marker", i, i-8)
		}
	}
}

// Heat-map cell labels are black on light cells and white on dark ones,
// and the matrix comes with its colour bar.
func TestMatrixHeatMapLabelsAndBar(t *testing.T) {
	if readableOn(color.White) != color.Black || readableOn(color.Black) != color.White {
		t.Fatal("readableOn picks the unreadable colour")
	}
	f, err := MatrixHeatMap("m", "x", "y", "KL (nats)", []string{"a", "b"}, []string{"c", "d"}, [][]float64{{0, 10}, {5, math.NaN()}}, 0, 10)
	if err != nil || f.Label != "KL (nats)" || f.Min != 0 || f.Max != 10 {
		t.Fatalf("%v %+v", err, f)
	}
	if paths, err := Save(f, t.TempDir(), "m"); err != nil || len(paths) == 0 {
		t.Fatalf("save: %v %v", paths, err)
	}
}

// Lines pads both axes, so that the first and last points and every range
// bar sit inside the frame; an axis with nothing on it keeps gonum's
// defaults (padding infinities hung the tick generator).
func TestLinesPadAxes(t *testing.T) {
	p, err := Lines("t", "x", "y", []Series{{Name: "a", X: []float64{0, 0.75}, Y: []float64{88, 80}, Lo: []float64{87, 79}, Hi: []float64{89, 82}}})
	if err != nil {
		t.Fatal(err)
	}
	if !(p.X.Min < 0 && p.X.Max > 0.75 && p.Y.Min < 79 && p.Y.Max > 89) {
		t.Errorf("axes not padded: x [%g, %g], y [%g, %g]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	empty, err := Lines("t", "x", "y", []Series{{Name: "nan", X: []float64{0}, Y: []float64{math.NaN()}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Save(empty, t.TempDir(), "empty"); err != nil {
		t.Fatal(err)
	}
}

// Strip draws one column per group and keeps every value inside the frame.
func TestStripFramesItsValues(t *testing.T) {
	p, err := Strip("gaps", "points", "mean, 95% CI", true, []StripGroup{
		{Name: "a", Values: []float64{-6.3, -4, -2.7}, Mean: -4.3, CILo: -5.3, CIHi: -3.5},
		{Name: "b", Values: []float64{-0.3, 0.9}, Mean: 0.3, CILo: -0.1, CIHi: 0.5},
		{Name: "none", Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !(p.Y.Min < -6.3 && p.Y.Max > 0.9) || p.X.Min != -0.6 || p.X.Max != 2.6 {
		t.Errorf("axes x [%g, %g], y [%g, %g]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if _, err := Save(p, t.TempDir(), "strip"); err != nil {
		t.Fatal(err)
	}
}

// Arrows keep every tip inside the frame and carry a legend entry.
func TestArrowsFrameTheirTips(t *testing.T) {
	p, err := Arrows("drift", "x", "y", []float64{0, 1}, []float64{0, 1}, []float64{0.5, -0.3}, []float64{0.2, math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	if !(p.X.Max > 0.5 && p.X.Min < 0 && p.Y.Max > 0.2 && p.Y.Min < 0) { // the NaN arrow is left out
		t.Errorf("axes x [%g, %g], y [%g, %g] cut a tip", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if _, err := Save(p, t.TempDir(), "arrows"); err != nil {
		t.Fatal(err)
	}
}

// Integer ticks: whole numbers only, a nice step, none outside the range.
func TestIntegerTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{{1, 2, "1 2"}, {0.9, 3.1, "1 2 3"}, {1, 50, "10 20 30 40 50"}, {1, 20, "5 10 15 20"}, {1.2, 1.8, ""}} {
		var got []string
		for _, tk := range (IntegerTicks{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("[%g, %g]: %q, want %q", c.lo, c.hi, strings.Join(got, " "), c.want)
		}
	}
}

// Polar closes each curve, keeps every point inside its square frame, and
// maps a density bump at angle a to the direction a.
func TestPolarDensity(t *testing.T) {
	ang := []float64{0, math.Pi / 2, math.Pi, 3 * math.Pi / 2}
	p, err := Polar("h", []Series{{Name: "bump up", X: ang, Y: []float64{0, 2, 0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min != -2.1*polarAspect || p.Y.Max != 2.1 {
		t.Errorf("frame [%g, %g]", p.X.Min, p.Y.Max)
	}
	if _, err := Save(p, t.TempDir(), "polar"); err != nil {
		t.Fatal(err)
	}
}

// A reference series (a ground truth under the data) takes no colour from
// the palette: the data keep the palette's order; Lines draws them all.
func TestLinesReference(t *testing.T) {
	x := []float64{0, 1, 2}
	series := []Series{
		{Name: "true path", X: x, Y: x, Reference: true},
		{Name: "a", X: x, Y: []float64{0, 1, 1}},
		{X: x, Y: []float64{1, 1, 1}, Reference: true},
		{Name: "b", X: x, Y: []float64{2, 1, 0}},
	}
	if got := fmt.Sprint(styleIndex(series)); got != "[-1 0 -1 1]" {
		t.Errorf("style indices %s, want [-1 0 -1 1]", got)
	}
	p, err := Lines("t", "x", "y", series)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Save(p, t.TempDir(), "ref"); err != nil {
		t.Fatal(err)
	}
}
