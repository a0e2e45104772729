package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named curve; Lo and Hi, when set, draw a vertical range
// (e.g. min-max over runs) at each point.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// Lines plots series as lines with point markers. A NaN in a series
// breaks its line there (e.g. where an angle wraps from pi to -pi).
func Lines(title, xlabel, ylabel string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	for i, s := range series {
		c := seriesColor(i)
		legend := false
		for _, xy := range finiteRuns(s.X, s.Y) {
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, fmt.Errorf("plot %q series %q: %w", title, s.Name, err)
			}
			l.Color, pts.Color = c, c
			pts.Shape = seriesShape(i)
			l.Dashes = seriesDashes(i)
			p.Add(l, pts)
			if !legend {
				p.Legend.Add(s.Name, l, pts)
				legend = true
			}
		}
		if !legend {
			continue
		}
		if s.Lo != nil {
			if err := addRanges(p, s, c); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

func addRanges(p *plot.Plot, s Series, c color.Color) error {
	for i := range s.X {
		if math.IsNaN(s.Lo[i]) || math.IsNaN(s.Hi[i]) {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: s.X[i], Y: s.Lo[i]}, {X: s.X[i], Y: s.Hi[i]}})
		if err != nil {
			return err
		}
		l.Color = c
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
	}
	return nil
}

// finiteRuns splits paired values into the runs of finite points between
// non-finite ones.
func finiteRuns(x, y []float64) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			if len(cur) > 0 {
				runs, cur = append(runs, cur), nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: x[i], Y: y[i]})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// Scatter plots paired values, one point per pair, with the diagonal y = x.
func Scatter(title, xlabel, ylabel string, x, y []float64) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	xy := finitePoints(x, y)
	if len(xy) == 0 {
		return p, nil
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, err
	}
	sc.Shape = draw.CircleGlyph{}
	sc.Color = seriesColor(0)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range xy {
		lo = math.Min(lo, math.Min(pt.X, pt.Y))
		hi = math.Max(hi, math.Max(pt.X, pt.Y))
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	diag.Color = color.Gray{Y: 128}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag, sc)
	return p, nil
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

func finitePoints(x, y []float64) plotter.XYs {
	var xy plotter.XYs
	for i := range x {
		if !math.IsNaN(y[i]) && !math.IsInf(y[i], 0) && !math.IsNaN(x[i]) {
			xy = append(xy, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return xy
}

// Bars draws one bar per label with optional error bars (sd).
func Bars(title, ylabel string, labels []string, values, errs []float64) (*plot.Plot, error) {
	p := newPlot(title, "", ylabel)
	vals := make(plotter.Values, len(values))
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		vals[i] = v
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return nil, err
	}
	bars.Color = seriesColor(0)
	p.Add(bars)
	if errs != nil {
		var xye plotter.XYs
		var ye plotter.YErrors
		for i, v := range vals {
			xye = append(xye, plotter.XY{X: float64(i), Y: v})
			e := errs[i]
			if math.IsNaN(e) {
				e = 0
			}
			ye = append(ye, struct{ Low, High float64 }{e, e})
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xye, ye})
		if err != nil {
			return nil, err
		}
		p.Add(eb)
	}
	short := make([]string, len(labels))
	for i, l := range labels {
		short[i] = shorten(l, 36)
	}
	labels = short
	p.NominalX(labels...)
	// Half a bar's slot of room at each end, so neither end bar is cut.
	p.X.Min, p.X.Max = -0.5, float64(len(vals))-0.5
	chars := 0
	for _, l := range labels {
		chars += len(l)
	}
	if chars > 60 {
		// Side by side, long category names would run into each other
		// (the plot is ~60 characters wide); slant them instead.
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	return p, nil
}

// Grid is a regular 2-D grid of values for heat maps (row-major, rows
// along y from lo to hi).
type Grid struct {
	N      int // cells per side
	Lo, Hi float64
	Z      []float64
}

func (g Grid) Dims() (c, r int)    { return g.N, g.N }
func (g Grid) Z2(c, r int) float64 { return g.Z[r*g.N+c] }
func (g Grid) X(c int) float64     { return g.Lo + (float64(c)+0.5)*(g.Hi-g.Lo)/float64(g.N) }
func (g Grid) Y(r int) float64     { return g.Lo + (float64(r)+0.5)*(g.Hi-g.Lo)/float64(g.N) }

type gridXYZ struct{ Grid }

func (g gridXYZ) Z(c, r int) float64 { return g.Z2(c, r) }

// Histogram2D bins points (n x 2) into an n x n grid over [lo, hi]^2,
// normalised to a probability per cell.
func Histogram2D(pts []float64, n int, lo, hi float64) Grid {
	g := Grid{N: n, Lo: lo, Hi: hi, Z: make([]float64, n*n)}
	total := 0
	for i := 0; i+1 < len(pts); i += 2 {
		c := int((pts[i] - lo) / (hi - lo) * float64(n))
		r := int((pts[i+1] - lo) / (hi - lo) * float64(n))
		if c < 0 || r < 0 || c >= n || r >= n {
			continue
		}
		g.Z[r*n+c]++
		total++
	}
	for i := range g.Z {
		g.Z[i] /= float64(max(total, 1))
	}
	return g
}

// Arrows draws line segments from (x, y) to (x + dx, y + dy): a quiver plot.
func Arrows(title, xlabel, ylabel string, x, y, dx, dy []float64) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	for i := range x {
		if math.IsNaN(dx[i]) || math.IsNaN(dy[i]) {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: x[i], Y: y[i]}, {X: x[i] + dx[i], Y: y[i] + dy[i]}})
		if err != nil {
			return nil, err
		}
		l.Color = seriesColor(0)
		p.Add(l)
		sc, _ := plotter.NewScatter(plotter.XYs{{X: x[i] + dx[i], Y: y[i] + dy[i]}})
		sc.Radius = vg.Points(1.5)
		sc.Color = seriesColor(0)
		p.Add(sc)
	}
	return p, nil
}

// matrixXYZ is a rows x cols matrix as a heat-map grid: column c at x = c,
// row r at y = rows-1-r, so row 0 is drawn at the top as in a table.
type matrixXYZ struct {
	z          [][]float64
	rows, cols int
}

func (m matrixXYZ) Dims() (c, r int)   { return m.cols, m.rows }
func (m matrixXYZ) Z(c, r int) float64 { return m.z[m.rows-1-r][c] }
func (m matrixXYZ) X(c int) float64    { return float64(c) }
func (m matrixXYZ) Y(r int) float64    { return float64(r) }

// MatrixHeatMap draws a labelled matrix (rows x cols) on a fixed colour
// scale [lo, hi] (values outside are drawn at the ends), each cell printed
// with its value in black or white, whichever reads on the cell's colour,
// with a colour bar labelled barLabel beside it, as the study's KL matrix.
func MatrixHeatMap(title, xlabel, ylabel, barLabel string, rowLabels, colLabels []string, z [][]float64, lo, hi float64) (*ColorBarPlot, error) {
	rows, cols := len(rowLabels), len(colLabels)
	if rows == 0 || cols == 0 || len(z) != rows || !(hi > lo) {
		return nil, fmt.Errorf("matrix heat map %q: %d row labels, %d column labels, %d rows, scale [%g, %g]", title, rows, cols, len(z), lo, hi)
	}
	clipped := make([][]float64, rows)
	for i, row := range z {
		if len(row) != cols {
			return nil, fmt.Errorf("matrix heat map %q: row %d has %d values, want %d", title, i, len(row), cols)
		}
		clipped[i] = make([]float64, cols)
		for j, v := range row {
			clipped[i][j] = math.Min(math.Max(v, lo), hi)
			if math.IsNaN(v) {
				clipped[i][j] = lo
			}
		}
	}
	pal := moreland.Kindlmann().Palette(64)
	p := newPlot(title, xlabel, ylabel)
	h := plotter.NewHeatMap(matrixXYZ{clipped, rows, cols}, pal)
	h.Min, h.Max = lo, hi
	p.Add(h)
	var xys plotter.XYs
	var texts []string
	for i, row := range z {
		for j, v := range row {
			xys = append(xys, plotter.XY{X: float64(j), Y: float64(rows - 1 - i)})
			texts = append(texts, FormatCell(v))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, err
	}
	cols64 := pal.Colors()
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		v := clipped[i/cols][i%cols]
		k := int(math.Round((v - lo) / (hi - lo) * float64(len(cols64)-1)))
		labels.TextStyle[i].Color = readableOn(cols64[k])
	}
	p.Add(labels)
	xt := make([]plot.Tick, cols)
	for j, l := range colLabels {
		xt[j] = plot.Tick{Value: float64(j), Label: l}
	}
	yt := make([]plot.Tick, rows)
	for i, l := range rowLabels {
		yt[i] = plot.Tick{Value: float64(rows - 1 - i), Label: l}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(cols)-0.5, -0.5, float64(rows)-0.5
	return &ColorBarPlot{Plot: p, Palette: pal, Min: lo, Max: hi, Label: barLabel, heat: h}, nil
}

// readableOn is black on a light colour and white on a dark one (relative
// luminance above or below one half).
func readableOn(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	if 0.2126*float64(r)+0.7152*float64(g)+0.0722*float64(b) > 0.5*0xffff {
		return color.Black
	}
	return color.White
}

// FormatCell prints a matrix value in a heat-map cell (2 significant
// decimals; "–" for a missing one).
func FormatCell(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// okabeIto is Okabe and Ito's palette, distinguishable with the common
// colour-vision deficiencies (no red-green pairs).
var okabeIto = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{240, 228, 66, 255},  // yellow
	color.RGBA{0, 0, 0, 255},       // black
}

// seriesColor is series i's colour.
func seriesColor(i int) color.Color { return okabeIto[i%len(okabeIto)] }

// seriesShape and seriesDashes tell apart series whose colours repeat
// (study 1 draws 9 conditions, the palette has 8): every pass through the
// palette shifts the marker by one and draws the next dash pattern, so no
// two of the first 64 series look alike.
func seriesShape(i int) draw.GlyphDrawer {
	return plotutil.Shape(i + i/len(okabeIto))
}

func seriesDashes(i int) []vg.Length { return plotutil.Dashes(i / len(okabeIto)) }

// shorten cuts s to n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
