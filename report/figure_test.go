package report

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"testing"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countColour counts pixels in columns [x0, x1) close to c.
func countColour(img image.Image, x0, x1 int, c color.Color) int {
	r0, g0, b0, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := max(x0, b.Min.X); x < min(x1, b.Max.X); x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if absDiff(r, r0) < 0x800 && absDiff(g, g0) < 0x800 && absDiff(bb, b0) < 0x800 {
				n++
			}
		}
	}
	return n
}

// countSaturated counts pixels in columns [x0, x1) that are neither grey,
// black nor white: in a legend strip, those of the thumbnails.
func countSaturated(img image.Image, x0, x1 int) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := max(x0, b.Min.X); x < min(x1, b.Max.X); x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if max(r, g, bb)-min(r, g, bb) > 0x2000 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// A legend is drawn in a strip right of the 6-inch plot, not on the data:
// a series that fills the data area's top-left corner stays visible, and
// the legend's thumbnail (in the series' colour) lies in the strip.
func TestLegendBesideData(t *testing.T) {
	dir := t.TempDir()
	p, err := Lines("t", "x", "y", []Series{{Name: "a long series name", X: []float64{0, 0.01, 1}, Y: []float64{1, 0.99, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Save(p, dir, "legend")
	if err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, paths[0])
	plotW := int(math.Round(6 * 96))
	if w := img.Bounds().Dx(); w <= plotW+40 {
		t.Fatalf("width %d px: no legend strip beside the %d px plot", w, plotW)
	}
	if n := countSaturated(img, plotW, img.Bounds().Max.X); n < 10 {
		t.Fatalf("%d coloured pixels in the legend strip, want its thumbnail", n)
	}
	// Without legend entries there is no strip.
	s := newPlot("s", "a", "b")
	paths, err = Save(s, dir, "scatter")
	if err != nil {
		t.Fatal(err)
	}
	if w := readPNG(t, paths[0]).Bounds().Dx(); w != plotW {
		t.Fatalf("scatter width %d px, want %d", w, plotW)
	}
}

// A heat map carries a colour bar: its strip shows the palette's range,
// from the lowest colour to the highest, and SetScale moves both.
func TestHeatMapColourBar(t *testing.T) {
	g := Grid{N: 4, Lo: 0, Hi: 1, Z: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}
	f := HeatMap("density", "fraction per cell", g)
	if f.Min != 0 || f.Max != 15 {
		t.Fatalf("scale [%g, %g], want [0, 15]", f.Min, f.Max)
	}
	f.SetScale(0, 30)
	if f.heat.Max != 30 || f.Max != 30 {
		t.Fatal("SetScale did not reach the heat map")
	}
	paths, err := Save(f, t.TempDir(), "heat")
	if err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, paths[0])
	plotW := 6 * 96
	cols := f.Palette.Colors()
	strip := img.Bounds().Max.X
	for _, c := range []color.Color{cols[0], cols[len(cols)/2], cols[len(cols)-1]} {
		if n := countColour(img, plotW, strip, c); n < 10 {
			t.Errorf("colour %v: %d pixels in the bar, want a band", c, n)
		}
	}
	// Scale [0, 30]: the grid's top value 15 sits mid-palette, so the heat
	// map itself shows no colour from the palette's upper part (its very
	// top is near-white, like the background, so take 80%).
	if n := countColour(img, 0, plotW, cols[len(cols)*4/5]); n > 0 {
		t.Errorf("%d upper-palette pixels in the map on a scale twice its maximum", n)
	}
	// A constant grid still draws (no zero-width scale).
	c := HeatMap("flat", "x", Grid{N: 2, Lo: 0, Hi: 1, Z: []float64{0, 0, 0, 0}})
	if !(c.Max > c.Min) {
		t.Fatalf("constant grid scale [%g, %g]", c.Min, c.Max)
	}
	if _, err := Save(c, t.TempDir(), "flat"); err != nil {
		t.Fatal(err)
	}
}

// A Pair is drawn twice as wide as one figure, both halves with their
// colour bars.
func TestPairSideBySide(t *testing.T) {
	g := Grid{N: 2, Lo: 0, Hi: 1, Z: []float64{0, 1, 2, 3}}
	paths, err := Save(Pair{Left: HeatMap("a", "z", g), Right: HeatMap("b", "z", g)}, t.TempDir(), "pair")
	if err != nil {
		t.Fatal(err)
	}
	one, err := Save(HeatMap("a", "z", g), t.TempDir(), "one")
	if err != nil {
		t.Fatal(err)
	}
	if w, w1 := readPNG(t, paths[0]).Bounds().Dx(), readPNG(t, one[0]).Bounds().Dx(); w < 2*w1-1 || w > 2*w1 { // one pixel of rounding
		t.Errorf("pair %d px wide, one figure %d", w, w1)
	}
}
