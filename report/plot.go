package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// Series is one named curve; Lo and Hi, when set, draw a vertical range
// (e.g. min-max over runs) at each point.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// Lines plots series as lines with point markers.
func Lines(title, xlabel, ylabel string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	for i, s := range series {
		xy := finitePoints(s.X, s.Y)
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("plot %q series %q: %w", title, s.Name, err)
		}
		c := plotutil.Color(i)
		l.Color, pts.Color = c, c
		pts.Shape = plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(s.Name, l, pts)
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
	sc.Color = plotutil.Color(0)
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

// Save writes p as dir/base.png and dir/base.svg (6 x 4 inches),
// atomically, and returns the paths.
func Save(p *plot.Plot, dir, base string) ([]string, error) {
	var paths []string
	for _, ext := range []string{"png", "svg"} {
		w, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, ext)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
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
