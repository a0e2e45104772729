package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

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
	// Reference marks a ground truth drawn under the data (e.g. the true
	// path under a decoded one): a thin dark-grey dashed line without
	// markers that takes no colour from the palette. An empty Name keeps
	// it out of the legend (one entry for several references).
	Reference bool
}

// Lines plots series as lines with point markers, the axes padded so no
// mark sits on the frame. A NaN in a series breaks its line there (e.g.
// where an angle wraps from pi to -pi). Ranges are solid capped bars, each
// series' shifted sideways by a little so that overlapping ranges of
// series at the same x stay apart.
func Lines(title, xlabel, ylabel string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	dodge := dodgeStep(series)
	styles := styleIndex(series)
	for j, s := range series {
		if s.Reference {
			if err := addReference(p, title, s); err != nil {
				return nil, err
			}
			continue
		}
		i := styles[j]
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
			off := dodge * (float64(i) - float64(len(series)-1)/2)
			if err := addRanges(p, s, c, off); err != nil {
				return nil, err
			}
		}
	}
	pad(p)
	return p, nil
}

// styleIndex is each series' index into the palette, colours, shapes and
// dashes: references take none (-1), so the data keep the palette's order.
func styleIndex(series []Series) []int {
	idx, i := make([]int, len(series)), 0
	for j, s := range series {
		idx[j] = -1
		if !s.Reference {
			idx[j], i = i, i+1
		}
	}
	return idx
}

// addReference draws s as a reference line (Series.Reference).
func addReference(p *plot.Plot, title string, s Series) error {
	for k, xy := range finiteRuns(s.X, s.Y) {
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("plot %q series %q: %w", title, s.Name, err)
		}
		l.Color = color.Gray{Y: 0x40}
		l.Width = vg.Points(0.8)
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		p.Add(l)
		if k == 0 && s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	return nil
}

// dodgeStep is the sideways shift between series' range bars: 1.2% of the
// x span, zero when no series has ranges.
func dodgeStep(series []Series) float64 {
	lo, hi, ranged := math.Inf(1), math.Inf(-1), false
	for _, s := range series {
		ranged = ranged || s.Lo != nil
		for _, x := range s.X {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if !ranged || !(hi > lo) {
		return 0
	}
	return 0.012 * (hi - lo)
}

// addRanges draws s's ranges as capped vertical bars at x + off.
func addRanges(p *plot.Plot, s Series, c color.Color, off float64) error {
	var v plotter.XYs
	var lo, hi []float64
	for i := range s.X {
		if math.IsNaN(s.Lo[i]) || math.IsNaN(s.Hi[i]) || math.IsNaN(s.Y[i]) {
			continue
		}
		v = append(v, plotter.XY{X: s.X[i] + off, Y: s.Y[i]})
		lo, hi = append(lo, s.Y[i]-s.Lo[i]), append(hi, s.Hi[i]-s.Y[i])
	}
	if len(v) == 0 {
		return nil
	}
	bars, err := plotter.NewYErrorBars(rangeErrors{v, lo, hi})
	if err != nil {
		return err
	}
	bars.Color = c
	bars.LineStyle.Width = vg.Points(0.8)
	bars.CapWidth = vg.Points(5)
	p.Add(bars)
	return nil
}

// rangeErrors are points with asymmetric vertical errors.
type rangeErrors struct {
	plotter.XYs
	lo, hi []float64
}

func (r rangeErrors) YError(i int) (float64, float64) { return r.lo[i], r.hi[i] }

// pad widens both axes by 5% of their span on each side (or by 1 where
// the span is zero), so that no point, bar or line end sits on the frame.
func pad(p *plot.Plot) {
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		if math.IsInf(ax.Min, 0) || math.IsInf(ax.Max, 0) || math.IsNaN(ax.Min) || math.IsNaN(ax.Max) {
			continue // nothing drawn on this axis: leave gonum's defaults
		}
		span := ax.Max - ax.Min
		if !(span > 0) {
			span = math.Max(math.Abs(ax.Max), 1) * 20
		}
		ax.Min -= 0.05 * span
		ax.Max += 0.05 * span
	}
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

// Scatter plots paired values, one point per pair, with the diagonal y = x,
// on equal, padded axes (a point above the diagonal is one where y wins).
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
	span := hi - lo
	if !(span > 0) {
		span = 1
	}
	lo, hi = lo-0.06*span, hi+0.06*span
	diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	diag.Color = color.Gray{Y: 128}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag, sc)
	p.Legend.Add("y = x", diag)
	p.Legend.Add("one configuration", sc)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	return p, nil
}

// StripGroup is one labelled set of values for Strip, with an interval
// (e.g. a 95% confidence interval of the mean) drawn beside them.
type StripGroup struct {
	Name       string
	Values     []float64
	Mean       float64
	CILo, CIHi float64
}

// Strip plots each group's values as dots in its own column (spread
// sideways, deterministically, so equal values do not hide each other),
// its mean as a bar and its interval as a capped line to the right, with a
// reference line at zero (when zero is true): e.g. the per-configuration
// gaps a paired claim is about. interval names the interval in the legend
// ("mean, 95% CI").
func Strip(title, ylabel, interval string, zero bool, groups []StripGroup) (*plot.Plot, error) {
	p := newPlot(title, "", ylabel)
	if zero {
		z, err := plotter.NewLine(plotter.XYs{{X: -0.6, Y: 0}, {X: float64(len(groups)) - 0.4, Y: 0}})
		if err != nil {
			return nil, err
		}
		z.Color = color.Gray{Y: 110}
		z.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(z)
	}
	var names []string
	for g, gr := range groups {
		names = append(names, gr.Name)
		c := seriesColor(g)
		var xy plotter.XYs
		for i, v := range gr.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(g) - 0.12 + 0.16*jitter(i), Y: v})
		}
		if len(xy) > 0 {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			sc.Color, sc.Shape, sc.Radius = c, draw.CircleGlyph{}, vg.Points(2.5)
			p.Add(sc)
		}
		if math.IsNaN(gr.Mean) {
			continue
		}
		m, err := plotter.NewLine(plotter.XYs{{X: float64(g) + 0.1, Y: gr.Mean}, {X: float64(g) + 0.3, Y: gr.Mean}})
		if err != nil {
			return nil, err
		}
		m.Color, m.Width = color.Black, vg.Points(1.5)
		p.Add(m)
		if !math.IsNaN(gr.CILo) && !math.IsNaN(gr.CIHi) {
			bars, err := plotter.NewYErrorBars(rangeErrors{plotter.XYs{{X: float64(g) + 0.2, Y: gr.Mean}}, []float64{gr.Mean - gr.CILo}, []float64{gr.CIHi - gr.Mean}})
			if err != nil {
				return nil, err
			}
			bars.Color, bars.CapWidth = color.Black, vg.Points(6)
			p.Add(bars)
		}
		if g == 0 {
			p.Legend.Add(interval, m)
		}
	}
	p.NominalX(categoryLabels(names)...)
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	lo, hi := p.Y.Min, p.Y.Max
	span := math.Max(hi-lo, 1e-9)
	p.Y.Min, p.Y.Max = lo-0.06*span, hi+0.06*span
	return p, nil
}

// jitter is a deterministic spread in [0, 1) for the i-th point (the
// golden-ratio sequence: evenly filled, the same on every run).
func jitter(i int) float64 {
	_, f := math.Modf(float64(i) * 0.6180339887498949)
	return f
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
	labels = categoryLabels(labels)
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
	legend := false
	for i := range x {
		if math.IsNaN(dx[i]) || math.IsNaN(dy[i]) {
			continue
		}
		tx, ty := x[i]+dx[i], y[i]+dy[i]
		shaft, err := plotter.NewLine(plotter.XYs{{X: x[i], Y: y[i]}, {X: tx, Y: ty}})
		if err != nil {
			return nil, err
		}
		shaft.Color = seriesColor(0)
		p.Add(shaft)
		// An arrowhead: two strokes back from the tip at +-25 degrees, a
		// quarter of the arrow long, so the direction cannot be misread.
		for _, a := range []float64{math.Pi - 0.44, math.Pi + 0.44} {
			c, s := math.Cos(a), math.Sin(a)
			hx, hy := 0.25*(c*dx[i]-s*dy[i]), 0.25*(s*dx[i]+c*dy[i])
			head, err := plotter.NewLine(plotter.XYs{{X: tx, Y: ty}, {X: tx + hx, Y: ty + hy}})
			if err != nil {
				return nil, err
			}
			head.Color = seriesColor(0)
			p.Add(head)
		}
		if !legend {
			p.Legend.Add("drift, from a state to where it moves", shaft)
			legend = true
		}
	}
	pad(p)
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

// categoryLabels makes axis labels of category names like a sweep's
// "train.lr=0.001 model.hidden=[64]": words every name shares are dropped
// (they tell the categories apart from nothing), and a name still longer
// than 36 characters is cut in the middle, keeping its start and its end
// (where a swept value is).
func categoryLabels(names []string) []string {
	shared := map[string]int{}
	for _, n := range names {
		seen := map[string]bool{}
		for _, w := range strings.Fields(n) {
			if !seen[w] {
				shared[w]++
				seen[w] = true
			}
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		var keep []string
		for _, w := range strings.Fields(n) {
			if len(names) < 2 || shared[w] < len(names) {
				keep = append(keep, w)
			}
		}
		l := strings.Join(keep, " ")
		if l == "" {
			l = n
		}
		if r := []rune(l); len(r) > 36 {
			l = string(r[:17]) + "…" + string(r[len(r)-18:])
		}
		out[i] = l
	}
	return out
}

// IntegerTicks marks an axis of counts (epochs, steps) at whole numbers
// only: gonum's default ticks put labels at 1.5 epochs on short runs.
type IntegerTicks struct{}

// Ticks returns labelled ticks at whole numbers between min and max, at
// most about 8, and unlabelled ones at each whole number when there are few.
func (IntegerTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	if hi < lo {
		return nil
	}
	step := math.Max(1, math.Ceil((hi-lo)/8))
	for _, nice := range []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		if nice >= step {
			step = nice
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// polarAspect is the width/height of a saved plot's data area.
const polarAspect = 1.65

// Polar draws densities over an angle (Series.X in radians, Series.Y >= 0)
// as closed curves around a circle: radius 1 + density / max density, so a
// flat density is a ring and a bump points the way of its angle. Headings
// wrap, as they do, instead of running off the ends of a line plot. The
// unit circle (zero density) is drawn for reference; 0 rad points right,
// angles grow counter-clockwise.
func Polar(title string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, "", "")
	var top float64
	for _, s := range series {
		for _, v := range s.Y {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				top = math.Max(top, v)
			}
		}
	}
	if !(top > 0) {
		top = 1
	}
	var ring plotter.XYs
	for k := 0; k <= 120; k++ {
		a := 2 * math.Pi * float64(k) / 120
		ring = append(ring, plotter.XY{X: math.Cos(a), Y: math.Sin(a)})
	}
	zero, err := plotter.NewLine(ring)
	if err != nil {
		return nil, err
	}
	zero.Color, zero.Dashes = color.Gray{Y: 150}, []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(zero)
	p.Legend.Add("zero density", zero)
	for i, s := range series {
		var xy plotter.XYs
		for k := range s.X {
			if math.IsNaN(s.Y[k]) || math.IsInf(s.Y[k], 0) {
				continue
			}
			r := 1 + s.Y[k]/top
			xy = append(xy, plotter.XY{X: r * math.Cos(s.X[k]), Y: r * math.Sin(s.X[k])})
		}
		if len(xy) == 0 {
			continue
		}
		xy = append(xy, xy[0]) // close the curve
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes, l.Width = seriesColor(i), seriesDashes(i), vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	// The data area of a 6 x 4 inch figure is ~1.65 times as wide as high:
	// widen x by as much, so circles stay circles.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -2.1*polarAspect, 2.1*polarAspect, -2.1, 2.1
	p.X.Label.Text, p.Y.Label.Text = "cos(heading) x (1 + density / max)", "sin(heading) x (1 + density / max)"
	return p, nil
}
