package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// Figure is anything Save can draw: a *plot.Plot, or a plot with a colour
// bar beside it (*ColorBarPlot).
type Figure interface {
	Draw(c draw.Canvas)
}

// Figure size: 6 x 4 inches, plus a strip on the right for a legend or a
// colour bar, so that neither covers the data.
const (
	figWidth  = 6 * vg.Inch
	figHeight = 4 * vg.Inch
)

// Save writes f as dir/base.png and dir/base.svg, atomically, and returns
// the paths. A plot's legend is drawn beside its data area, not on it.
func Save(f Figure, dir, base string) ([]string, error) {
	f = framed(f)
	var paths []string
	for _, ext := range []string{"png", "svg"} {
		c, err := draw.NewFormattedCanvas(width(f), figHeight, ext)
		if err != nil {
			return nil, err
		}
		f.Draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, base+"."+ext)
		if err := fsutil.WriteFileAtomic(path, buf.Bytes()); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// framed gives a plot its legend strip (legendBeside); a Pair frames both.
func framed(f Figure) Figure {
	switch f := f.(type) {
	case *plot.Plot:
		return legendBeside{f}
	case Pair:
		return Pair{framed(f.Left), framed(f.Right)}
	}
	return f
}

// width is the width a framed figure is drawn at.
func width(f Figure) vg.Length {
	if p, ok := f.(Pair); ok {
		return width(p.Left) + width(p.Right)
	}
	return figWidth + stripWidth(f)
}

// Pair draws two figures side by side, each at its usual size: e.g. a
// waking and a quiescent density on one colour scale, to compare by eye.
type Pair struct{ Left, Right Figure }

// Draw draws a framed pair (Save frames it).
func (p Pair) Draw(c draw.Canvas) {
	lw := width(p.Left)
	p.Left.Draw(draw.Crop(c, 0, -(c.Max.X - c.Min.X - lw), 0, 0))
	p.Right.Draw(draw.Crop(c, lw, 0, 0, 0))
}

// stripWidth is the width f needs right of its 6-inch plot.
func stripWidth(f Figure) vg.Length {
	switch f := f.(type) {
	case legendBeside:
		return f.width()
	case *ColorBarPlot:
		return colorBarWidth
	}
	return 0
}

// legendBeside draws a plot with its legend in a strip to the right of
// the axes: a legend inside the data area hides whatever lies under it.
type legendBeside struct{ p *plot.Plot }

const legendGap = 6 // points between the plot and the legend strip

func (l legendBeside) width() vg.Length {
	r := l.p.Legend.Rectangle(draw.Canvas{})
	if w := r.Max.X - r.Min.X; w > 0 {
		return w + 2*vg.Points(legendGap)
	}
	return 0
}

func (l legendBeside) Draw(c draw.Canvas) {
	w := l.width()
	if w == 0 {
		l.p.Draw(c)
		return
	}
	leg := l.p.Legend
	l.p.Legend = plot.NewLegend()
	defer func() { l.p.Legend = leg }()
	l.p.Draw(draw.Crop(c, 0, -w, 0, 0))
	// Top-aligned with the data area (below the title).
	title := l.p.Title.TextStyle.Height(l.p.Title.Text) + l.p.Title.Padding
	strip := draw.Crop(c, c.Max.X-c.Min.X-w+vg.Points(legendGap), 0, 0, -title)
	leg.Top, leg.Left = true, true
	leg.Draw(strip)
}

// ColorBarPlot is a heat map with a vertical colour bar beside it that
// maps colours to values.
type ColorBarPlot struct {
	Plot     *plot.Plot
	Palette  palette.Palette
	Min, Max float64
	Label    string // the colour bar's axis label (the quantity and unit)
	heat     *plotter.HeatMap
}

// SetScale puts the heat map and its bar on [lo, hi], e.g. one scale for
// figures meant to be compared side by side.
func (f *ColorBarPlot) SetScale(lo, hi float64) {
	f.Min, f.Max = lo, hi
	if f.heat != nil {
		f.heat.Min, f.heat.Max = lo, hi
	}
}

const colorBarWidth = 1.1 * vg.Inch

// Draw draws the heat map on the left and the colour bar in the strip.
func (f *ColorBarPlot) Draw(c draw.Canvas) {
	f.Plot.Draw(draw.Crop(c, 0, -colorBarWidth, 0, 0))
	bar := plot.New()
	bar.HideX()
	bar.Y.Label.Text = f.Label
	cb := &plotter.ColorBar{ColorMap: paletteMap(f.Palette, f.Min, f.Max), Vertical: true}
	bar.Add(cb)
	bar.Y.Min, bar.Y.Max = f.Min, f.Max
	// The same vertical extent as the heat map's data area, roughly: below
	// the title, above the x axis.
	top := f.Plot.Title.TextStyle.Height(f.Plot.Title.Text) + f.Plot.Title.Padding
	bottom := f.Plot.X.Label.TextStyle.Height("x") + f.Plot.X.Tick.Label.Height("0") + vg.Points(12)
	bar.Draw(draw.Crop(c, c.Max.X-c.Min.X-colorBarWidth+vg.Points(legendGap), 0, bottom, -top))
}

// paletteMap is a palette as a palette.ColorMap over [lo, hi].
func paletteMap(p palette.Palette, lo, hi float64) palette.ColorMap {
	m := &discreteMap{colors: p.Colors()}
	m.SetMin(lo)
	m.SetMax(hi)
	return m
}

// discreteMap maps [min, max] onto a palette's colours in equal steps, as
// plotter.HeatMap does, so the bar shows exactly the map's colours.
type discreteMap struct {
	colors   []color.Color
	min, max float64
}

func (m *discreteMap) At(v float64) (color.Color, error) {
	if math.IsNaN(v) || v < m.min || v > m.max {
		return nil, fmt.Errorf("report: colour bar value %g outside [%g, %g]", v, m.min, m.max)
	}
	i := int((v - m.min) / (m.max - m.min) * float64(len(m.colors)))
	return m.colors[min(i, len(m.colors)-1)], nil
}
func (m *discreteMap) SetMax(v float64) { m.max = v }
func (m *discreteMap) SetMin(v float64) { m.min = v }
func (m *discreteMap) Max() float64     { return m.max }
func (m *discreteMap) Min() float64     { return m.min }
func (m *discreteMap) Alpha() float64   { return 1 }

// SetAlpha is a no-op: the bar shows the heat map's opaque colours.
func (m *discreteMap) SetAlpha(float64) {}

// Palette samples n of the map's colours evenly.
func (m *discreteMap) Palette(n int) palette.Palette {
	cs := make([]color.Color, n)
	for i := range cs {
		cs[i] = m.colors[i*len(m.colors)/max(n, 1)]
	}
	return colorList(cs)
}

type colorList []color.Color

func (l colorList) Colors() []color.Color { return l }

// HeatMap draws a grid on a perceptually uniform palette with a colour
// bar labelled label (what a cell's value is).
func HeatMap(title, label string, g Grid) *ColorBarPlot {
	p := newPlot(title, "x (m)", "y (m)")
	pal := moreland.Kindlmann().Palette(64)
	h := plotter.NewHeatMap(gridXYZ{g}, pal)
	p.Add(h)
	lo, hi := h.Min, h.Max
	if !(hi > lo) {
		hi = lo + 1 // a constant grid: one colour, any scale
		h.Max = hi
	}
	return &ColorBarPlot{Plot: p, Palette: pal, Min: lo, Max: hi, Label: label, heat: h}
}
