package reactivation

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/task/navigation"
)

// Row aggregates one condition over seeds.
type Row struct {
	Condition      string          `json:"condition"`
	DecodeErr      analysis.MeanSD `json:"decode_err"`
	UntrainedErr   analysis.MeanSD `json:"untrained_decode_err"`
	KL             analysis.MeanSD `json:"kl_quiescent_waking"`
	KLUntrained    analysis.MeanSD `json:"kl_untrained"`
	KLUniform      analysis.MeanSD `json:"kl_uniform"`
	KLUniformCoded analysis.MeanSD `json:"kl_uniform_as_coded"`
	StepWake       analysis.MeanSD `json:"step_waking"`
	StepQuiet      analysis.MeanSD `json:"step_quiescent"`
	Variance       analysis.MeanSD `json:"quiescent_variance"`
	AnchorWake     analysis.MeanSD `json:"anchor_dist_waking"`
	AnchorQuiet    analysis.MeanSD `json:"anchor_dist_quiescent"`
	SignedWake     analysis.MeanSD `json:"signed_step_waking"`
	SignedQuiet    analysis.MeanSD `json:"signed_step_quiescent"`
	DriftAlignment analysis.MeanSD `json:"drift_alignment"`
	SecondsPerStep analysis.MeanSD `json:"seconds_per_step"`
	DriftWeighted  analysis.MeanSD `json:"drift_alignment_weighted"`
	DriftNoiseFree analysis.MeanSD `json:"drift_alignment_noise_free"`
	// Networks trained without noise, noise added at sleep.
	KLNoiseAdded   analysis.MeanSD `json:"kl_noise_added"`
	StepNoiseAdded analysis.MeanSD `json:"step_quiescent_noise_added"`
	// Spatial: the 10th and 90th percentile of the waking distance to the
	// anchor (mean over seeds).
	AnchorWakeP10 analysis.MeanSD `json:"anchor_dist_waking_p10"`
	AnchorWakeP90 analysis.MeanSD `json:"anchor_dist_waking_p90"`
	// PCA (Fig. 1c): cumulative variance of PCs 1-10, awake and asleep, and
	// the largest gap between the two curves over PCs 1-10.
	PCA10Wake  analysis.MeanSD `json:"pca_pc10_waking"`
	PCA10Quiet analysis.MeanSD `json:"pca_pc10_quiescent"`
	PCAGap     analysis.MeanSD `json:"pca_max_gap_pc1_10"`
	// Null processes (nulls.go), KL(null || this condition's waking
	// states): each trajectory frozen at its first quiescent state, and a
	// density-blind random walk with the network's quiescent step.
	KLNullFrozen    analysis.MeanSD `json:"kl_null_frozen"`
	KLNullDiffusion analysis.MeanSD `json:"kl_null_diffusion"`
	// The other sleeps of noisy vanilla networks (Result.KLNoiseX1,
	// Result.AnchorQuietMismatched).
	KLNoiseX1             analysis.MeanSD `json:"kl_quiescent_waking_noise_x1"`
	AnchorQuietMismatched analysis.MeanSD `json:"anchor_dist_quiescent_zero_mean_noise"`
}

// Report is what `circuitry run` writes for the study.
type Report struct {
	Study string   `json:"study"`
	Task  string   `json:"task"`
	Noise string   `json:"noise"`
	Seeds []uint64 `json:"seeds"`
	Rows  []Row    `json:"conditions"`
	// KL is the matrix of every quiescent source against every waking
	// source (the study's Fig. 2e).
	KL      *KLMatrix `json:"kl_matrix"`
	Figures []string  `json:"figures"`
	// Box is the spatial task's box side (m); Generator the study's
	// unbiased spatial generator measured against docs/science/offline-reactivation.md's
	// re-simulation (check 7). Both absent for head direction.
	Box       float64         `json:"box,omitempty"`
	Generator *GeneratorStats `json:"generator,omitempty"`
	results   []*Result
	study     Config
}

func newReport(s Config, results []*Result) *Report {
	rep := &Report{Study: s.Name, Task: s.Task, Noise: s.Network.Noise, Seeds: s.Seeds, results: results, study: s}
	if s.Task == "spatial" {
		rep.Box, rep.Generator = s.Spatial.Box, measureGenerator(s)
	}
	for _, cond := range s.Conditions {
		var rs []*Result
		for _, r := range results {
			if r.Condition == cond {
				rs = append(rs, r)
			}
		}
		get := func(f func(r *Result) analysis.Float) analysis.MeanSD {
			var x []float64
			for _, r := range rs {
				x = append(x, float64(f(r)))
			}
			return analysis.NewMeanSD(x)
		}
		row := Row{Condition: cond,
			DecodeErr:             get(func(r *Result) analysis.Float { return r.DecodeErr }),
			UntrainedErr:          get(func(r *Result) analysis.Float { return r.UntrainedErr }),
			KL:                    get(func(r *Result) analysis.Float { return r.KL }),
			KLUntrained:           get(func(r *Result) analysis.Float { return r.KLUntrained }),
			KLUniform:             get(func(r *Result) analysis.Float { return r.KLUniform }),
			KLUniformCoded:        get(func(r *Result) analysis.Float { return r.KLUniformAsCoded }),
			StepWake:              get(func(r *Result) analysis.Float { return r.StepWake }),
			StepQuiet:             get(func(r *Result) analysis.Float { return r.StepQuiet }),
			Variance:              get(func(r *Result) analysis.Float { return r.Variance }),
			AnchorWake:            get(func(r *Result) analysis.Float { return r.AnchorWake }),
			AnchorQuiet:           get(func(r *Result) analysis.Float { return r.AnchorQuiet }),
			SignedWake:            get(func(r *Result) analysis.Float { return r.SignedWake }),
			SignedQuiet:           get(func(r *Result) analysis.Float { return r.SignedQuiet }),
			DriftAlignment:        get(func(r *Result) analysis.Float { return r.DriftAlignment }),
			DriftWeighted:         get(func(r *Result) analysis.Float { return r.DriftWeighted }),
			DriftNoiseFree:        get(func(r *Result) analysis.Float { return r.DriftAlignmentNoiseFree }),
			SecondsPerStep:        get(func(r *Result) analysis.Float { return analysis.Float(r.SecondsPerStep) }),
			KLNoiseAdded:          get(func(r *Result) analysis.Float { return r.KLNoiseAdded }),
			StepNoiseAdded:        get(func(r *Result) analysis.Float { return r.StepNoiseAdded }),
			AnchorWakeP10:         get(func(r *Result) analysis.Float { return bandAt(r.AnchorWakeBand, 0) }),
			AnchorWakeP90:         get(func(r *Result) analysis.Float { return bandAt(r.AnchorWakeBand, 1) }),
			PCA10Wake:             get(func(r *Result) analysis.Float { return curveAt(r.PCAWake, 9) }),
			PCA10Quiet:            get(func(r *Result) analysis.Float { return curveAt(r.PCAQuiet, 9) }),
			PCAGap:                get(func(r *Result) analysis.Float { return maxGap(r.PCAWake, r.PCAQuiet, 10) }),
			KLNullFrozen:          get(func(r *Result) analysis.Float { return analysis.Float(r.nulls.Frozen) }),
			KLNullDiffusion:       get(func(r *Result) analysis.Float { return analysis.Float(r.nulls.Diffusion) }),
			KLNoiseX1:             get(func(r *Result) analysis.Float { return r.KLNoiseX1 }),
			AnchorQuietMismatched: get(func(r *Result) analysis.Float { return r.AnchorQuietMismatched }),
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}

func bandAt(b []float64, i int) analysis.Float {
	if i < len(b) {
		return analysis.Float(b[i])
	}
	return analysis.Float(math.NaN())
}

// curveAt is PC i+1's cumulative variance (NaN if the curve is shorter).
func curveAt(c []float64, i int) analysis.Float { return bandAt(c, i) }

// maxGap is the largest |a_k - b_k| over the first n PCs.
func maxGap(a, b []float64, n int) analysis.Float {
	if len(a) < n || len(b) < n {
		return analysis.Float(math.NaN())
	}
	var g float64
	for k := 0; k < n; k++ {
		g = math.Max(g, math.Abs(a[k]-b[k]))
	}
	return analysis.Float(g)
}

// Row returns the row of a condition, or nil.
func (rep *Report) Row(cond string) *Row {
	for i := range rep.Rows {
		if rep.Rows[i].Condition == cond {
			return &rep.Rows[i]
		}
	}
	return nil
}

// Markdown renders the tables.
func (rep *Report) Markdown() string {
	var b strings.Builder
	unit := "m²"
	if rep.Task == "headdir" {
		unit = "rad²"
	}
	fmt.Fprintf(&b, "# %s: offline reactivation (%s task)\n\nMean ± sd over seeds %v. Recurrent noise: %s in training, %s in quiescence%s. Decoding error is the mean squared error per coordinate (%s).\n\n",
		rep.Study, rep.Task, rep.Seeds, rep.Noise, rep.study.sleepNoise(), mismatchNote(rep.study), unit)
	b.WriteString("## Path integration and KL(quiescent || waking), nats\n\n")
	b.WriteString("| condition | decode err (trained) | decode err (untrained) | KL quiescent | KL untrained net (control) | KL uniform, correct density (control) | KL uniform as coded (+ln box) | KL frozen states (null) | KL density-blind diffusion (null) | KL quiescent, noise added at sleep |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Condition, r.DecodeErr, r.UntrainedErr, klCell(r.KL), klCell(r.KLUntrained),
			klCell(r.KLUniform), klCell(r.KLUniformCoded), klCell(r.KLNullFrozen), klCell(r.KLNullDiffusion), klCell(r.KLNoiseAdded))
	}
	b.WriteString("\nQuiescence scales each network's own training noise by the noise factor, so networks trained without noise sleep without noise; they are also run with noise added at sleep (variance quiescence.noise2_sleep), where they take erratic steps. The untrained control is a freshly initialised vanilla RNN of the same shape slept with the task's training noise doubled. The uniform control is given with the correct density and as the authors' code computes it (a 1-D pdf per coordinate, ln box more: the study's figure); the verdicts use the correct one. The nulls are processes that ignore the waking distribution, measured the same way: each trajectory frozen at its first quiescent state, and a density-blind random walk from there at the network's quiescent pace. A KL estimate a hair below zero (the Monte-Carlo estimator's noise) prints as ≈0.\n")
	if rep.KL != nil {
		b.WriteString("\n## KL matrix (the study's Fig. 2e)\n\n" + rep.KL.markdown())
	}
	b.WriteString("\n## PCA of hidden states (the study's Fig. 1c)\n\n")
	fmt.Fprintf(&b, "Separate centred PCAs of %d trajectories awake (%d steps) and asleep (%d quiescent steps).\n\n| condition | cumulative variance PC1-10, waking | quiescent | largest gap PC1-10 |\n|---|---|---|---|\n",
		rep.study.Sleep.PCABatch, rep.study.Train.SeqLen, rep.study.Sleep.PCASteps)
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Condition, r.PCA10Wake, r.PCA10Quiet, r.PCAGap)
	}
	b.WriteString("\n## Step distance, variance, bias, drift\n\n")
	if rep.Task == "headdir" {
		b.WriteString("| condition | step waking (rad) | step quiescent (rad) | step, noise added (rad) | circular variance | signed step waking | signed step quiescent | drift alignment | drift alignment, weighted |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rep.Rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Condition, r.StepWake, r.StepQuiet, r.StepNoiseAdded, r.Variance, r.SignedWake, r.SignedQuiet, r.DriftAlignment, r.DriftWeighted)
		}
	} else {
		b.WriteString("| condition | step waking (m) | step quiescent (m) | step, noise added (m) | quiescent variance (m²) | distance to anchor, waking (m) | waking 10th-90th percentile (m) | distance to anchor, quiescent (m) | drift alignment | drift alignment, weighted | drift alignment, noise-free step |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rep.Rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.3f-%.3f | %s | %s | %s | %s |\n", r.Condition, r.StepWake, r.StepQuiet, r.StepNoiseAdded, r.Variance, r.AnchorWake,
				float64(r.AnchorWakeP10.Mean), float64(r.AnchorWakeP90.Mean), r.AnchorQuiet, r.DriftAlignment, r.DriftWeighted, r.DriftNoiseFree)
		}
	}
	b.WriteString("\nDrift alignment: mean cosine between the expected input-free one-step drift (the noise-free step plus the noise's mean: zero for Gaussian noise, sd/2 per unit for the authors' uniform noise, which trained networks compensate; the last column leaves it out) of sleep states (second half of the quiescent run, where no velocity input is pending) and the gradient of the waking log density (positive: toward visited states; for networks trained without noise, the states of the noise-added run); the weighted column weights each state by the gradient's magnitude, so states where the waking density is flat (the gradient is estimator noise) count little.\n")
	b.WriteString("\n## Training time\n\n| condition | seconds per step |\n|---|---|\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r.Condition, r.SecondsPerStep)
	}
	if len(rep.Figures) > 0 {
		b.WriteString("\n## Figures\n\n")
		for _, f := range rep.Figures {
			if strings.HasSuffix(f, ".png") {
				fmt.Fprintf(&b, "![%s](figures/%s)\n", filepath.Base(f), filepath.Base(f))
			}
		}
	}
	return b.String()
}

// mismatchNote flags a quiescent noise kind other than the training one.
func mismatchNote(s Config) string {
	if s.sleepNoise() != s.Network.Noise {
		return " (a deliberate mismatch, quiescence.noise)"
	}
	return ""
}

// Write saves report.json, report.md and the figures under dir.
func (rep *Report) Write(dir string) error {
	figDir := filepath.Join(dir, "figures")
	figs, err := rep.figures(figDir)
	if err != nil {
		return err
	}
	rep.Figures = figs
	return report.WriteStudy(dir, "report", rep.Study, rep.Markdown(), rep)
}

func (rep *Report) first(cond string) *Result {
	for _, r := range rep.results {
		if r.Condition == cond {
			return r
		}
	}
	return nil
}

func (rep *Report) figures(dir string) ([]string, error) {
	var paths []string
	add := func(ps []string, err error) error {
		paths = append(paths, ps...)
		return err
	}
	if err := add(rep.klBarsFigure(dir)); err != nil {
		return nil, err
	}
	if err := add(rep.klMatrixFigure(dir)); err != nil {
		return nil, err
	}
	lo, hi := rep.study.NewTask(false, 0).Extent()
	for _, cond := range rep.study.Conditions {
		r := rep.first(cond)
		if r == nil || r.wake == nil {
			continue
		}
		if err := add(rep.trajectoryFigure(dir, r)); err != nil {
			return nil, err
		}
		if err := add(rep.densityFigures(dir, r, lo, hi)); err != nil {
			return nil, err
		}
	}
	if r := rep.first(rep.study.Conditions[0]); r != nil && r.drift != nil && r.dim == 2 {
		if err := add(driftFigure(dir, r, lo, hi)); err != nil {
			return nil, err
		}
	}
	if err := add(rep.pcaFigure(dir)); err != nil {
		return nil, err
	}
	return paths, nil
}

// klBarsFigure draws every condition's KL, its noise-added sleep where run, and
// the first condition's untrained and uniform controls.
func (rep *Report) klBarsFigure(dir string) ([]string, error) {
	var labels []string
	var vals, errs []float64
	for _, r := range rep.Rows {
		labels = append(labels, r.Condition)
		vals, errs = append(vals, float64(r.KL.Mean)), append(errs, float64(r.KL.SD))
	}
	for _, r := range rep.Rows {
		if r.KLNoiseAdded.N > 0 {
			labels = append(labels, r.Condition+" + sleep noise")
			vals, errs = append(vals, float64(r.KLNoiseAdded.Mean)), append(errs, float64(r.KLNoiseAdded.SD))
		}
	}
	if len(rep.Rows) > 0 {
		labels = append(labels, "untrained", "uniform")
		vals = append(vals, float64(rep.Rows[0].KLUntrained.Mean), float64(rep.Rows[0].KLUniform.Mean))
		errs = append(errs, float64(rep.Rows[0].KLUntrained.SD), float64(rep.Rows[0].KLUniform.SD))
	}
	p, err := report.Bars("KL(quiescent || waking)", "nats", labels, vals, errs)
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, "kl_bars")
}

// klMatrixFigure draws the quiescent-by-waking KL matrix (Fig. 2e), if computed.
func (rep *Report) klMatrixFigure(dir string) ([]string, error) {
	m := rep.KL
	if m == nil {
		return nil, nil
	}
	z := make([][]float64, len(m.Mean))
	for i, row := range m.Mean {
		for _, v := range row {
			z[i] = append(z[i], float64(v))
		}
	}
	p, err := report.MatrixHeatMap(fmt.Sprintf("KL(quiescent || waking), mean of %d seed(s)", m.Seeds),
		"quiescent source", "waking source", "KL (nats)", m.Waking, m.Quiescent, z, 0, 10)
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, "kl_matrix")
}

// pcaFigure draws the cumulative variance explained, awake and asleep, for every
// condition's first seed.
func (rep *Report) pcaFigure(dir string) ([]string, error) {
	var series []report.Series
	for _, cond := range rep.study.Conditions {
		r := rep.first(cond)
		if r == nil {
			continue
		}
		for _, c := range []struct {
			name string
			y    []float64
		}{{cond + " waking", r.PCAWake}, {cond + " quiescent", r.PCAQuiet}} {
			s := report.Series{Name: c.name}
			for i, v := range c.y {
				s.X, s.Y = append(s.X, float64(i+1)), append(s.Y, v)
			}
			series = append(series, s)
		}
	}
	p, err := report.Lines("Hidden-state variance explained", "principal components", "cumulative fraction", series)
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, "pca")
}

// trajectoryFigure draws three waking paths true and decoded, three
// waking and three quiescent decoded trajectories (spatial: in the box;
// head direction: angle against time), and for networks trained without
// noise a figure with noise added at sleep.
func (rep *Report) trajectoryFigure(dir string, r *Result) ([]string, error) {
	paths, err := wakingPathsFigure(dir, r)
	if err != nil {
		return nil, err
	}
	more, err := traceFigure(dir, "trajectories_"+r.Condition, fmt.Sprintf("%s (seed %d): decoded trajectories", r.Condition, r.Seed), "quiescent", r.quiet, 200, r)
	paths = append(paths, more...)
	if err != nil || r.quietAdded == nil {
		return paths, err
	}
	// Erratic steps: a few dozen already fill the box.
	more, err = traceFigure(dir, "trajectories_"+r.Condition+"_noise_added", fmt.Sprintf("%s (seed %d): noise added at sleep, first 50 steps", r.Condition, r.Seed), "noise added", r.quietAdded, 50, r)
	return append(paths, more...), err
}

// wakingPathsFigure draws three waking test trajectories as decoded from
// the network's output over their true paths (how well it path-integrates,
// one colour per trajectory); nothing where the run did not keep the truth.
func wakingPathsFigure(dir string, r *Result) ([]string, error) {
	if r.wakeTrue == nil {
		return nil, nil
	}
	var series []report.Series
	for k := 0; k < min(3, r.b); k++ {
		truth := traceSeries("", r.wakeTrue, r.t, r.b, k, r.dim)
		if k == 0 {
			truth.Name = "true path"
		}
		truth.Reference = true
		series = append(series, truth, traceSeries(fmt.Sprintf("trajectory %d, decoded", k+1), r.wake, r.t, r.b, k, r.dim))
	}
	return saveTraces(dir, "waking_paths_"+r.Condition, fmt.Sprintf("%s (seed %d): waking, true and decoded", r.Condition, r.Seed), "heading (rad)", r.dim, series)
}

// traceFigure draws three waking trajectories of r and three of the
// offline states quiet (their first steps steps), named name.
func traceFigure(dir, base, title, name string, quiet []float64, steps int, r *Result) ([]string, error) {
	var series []report.Series
	for k := 0; k < min(3, r.b); k++ {
		series = append(series, traceSeries(fmt.Sprintf("waking %d", k+1), r.wake, r.t, r.b, k, r.dim),
			traceSeries(fmt.Sprintf("%s %d", name, k+1), quiet, min(r.tq, steps), r.b, k, r.dim))
	}
	return saveTraces(dir, base, title, "decoded heading (rad)", r.dim, series)
}

// saveTraces draws trajectory series (traceSeries) in the box, or, for
// head direction (dim 1), as heading (labelled heading) against step.
func saveTraces(dir, base, title, heading string, dim int, series []report.Series) ([]string, error) {
	xl, yl := "x (m)", "y (m)"
	if dim == 1 {
		xl, yl = "step", heading
	}
	p, err := report.Lines(title, xl, yl, series)
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, base)
}

// traceSeries is trajectory k of decoded states pos (steps x b x dim):
// the path in the box, or the heading against time.
func traceSeries(name string, pos []float64, steps, b, k, dim int) report.Series {
	s := report.Series{Name: name}
	for t := 0; t < steps; t++ {
		i := (t*b + k) * dim
		if dim == 2 {
			s.X, s.Y = append(s.X, pos[i]), append(s.Y, pos[i+1])
			continue
		}
		// A heading that wraps from pi to -pi is a short step, not a line
		// across the plot: break the curve there.
		if n := len(s.Y); n > 0 && math.Abs(pos[i]-s.Y[n-1]) > math.Pi {
			s.X, s.Y = append(s.X, math.NaN()), append(s.Y, math.NaN())
		}
		s.X, s.Y = append(s.X, float64(t)), append(s.Y, pos[i])
	}
	return s
}

// densityGrids are the waking and quiescent densities of a spatial
// network on a grid over the box: by default the Gaussian KDEs the KL is
// computed from (the same points and Scott bandwidth), evaluated at the
// cells' centres; with quiescence.density_figure: histogram, the fraction
// of states per cell.
func (rep *Report) densityGrids(r *Result, lo, hi float64) ([]report.Grid, string, error) {
	const n = 32
	if rep.study.Sleep.DensityFigure == "histogram" {
		return []report.Grid{report.Histogram2D(r.wake, n, lo, hi), report.Histogram2D(r.quiet, n, lo, hi)}, "fraction of time steps per cell", nil
	}
	centres := make([]float64, 0, 2*n*n)
	for row := 0; row < n; row++ {
		for c := 0; c < n; c++ {
			g := report.Grid{N: n, Lo: lo, Hi: hi}
			centres = append(centres, g.X(c), g.Y(row))
		}
	}
	var grids []report.Grid
	for _, pts := range [][]float64{r.wake, r.quiet} {
		k, err := fitKDE(pts, 2, rep.study.Sleep.KDEPoints, false)
		if err != nil {
			return nil, "", err
		}
		z := make([]float64, n*n)
		k.LogPDF(z, centres)
		for i, v := range z {
			z[i] = math.Exp(v)
		}
		grids = append(grids, report.Grid{N: n, Lo: lo, Hi: hi, Z: z})
	}
	return grids, "KDE density (1/m², the KL's estimate)", nil
}

func (rep *Report) densityFigures(dir string, r *Result, lo, hi float64) ([]string, error) {
	if r.dim == 2 {
		var paths []string
		grids, unit, err := rep.densityGrids(r, lo, hi)
		if err != nil {
			return nil, err
		}
		top := 0.0 // one colour scale for the pair, so they compare by eye
		for _, g := range grids {
			for _, z := range g.Z {
				top = math.Max(top, z)
			}
		}
		var pair [2]report.Figure
		for i, name := range []string{"waking", "quiescent"} {
			p := report.HeatMap(fmt.Sprintf("%s: %s density (seed %d)", r.Condition, name, r.Seed), unit, grids[i])
			if top > 0 {
				p.SetScale(0, top)
			}
			pair[i] = p
		}
		// Side by side on one colour scale: the pair the KL compares.
		ps, err := report.Save(report.Pair{Left: pair[0], Right: pair[1]}, dir, "density_"+r.Condition)
		if err != nil {
			return nil, err
		}
		return append(paths, ps...), nil
	}
	// Head direction: histograms of angles.
	hist := func(name string, a []float64) report.Series {
		const n = 36
		counts := make([]float64, n)
		for _, v := range a {
			k := int((v - lo) / (hi - lo) * n)
			if k >= 0 && k < n {
				counts[k]++
			}
		}
		s := report.Series{Name: name}
		for k := range counts {
			s.X = append(s.X, lo+(float64(k)+0.5)*(hi-lo)/n)
			s.Y = append(s.Y, counts[k]/float64(len(a))*n/(hi-lo))
		}
		return s
	}
	// Around a circle: headings wrap, and a bump points the way it faces.
	p, err := report.Polar(fmt.Sprintf("%s: heading density (seed %d)", r.Condition, r.Seed),
		[]report.Series{hist("waking", r.wake), hist("quiescent", r.quiet)})
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, "density_"+r.Condition)
}

// driftFigure averages the drift of sleep states on a grid and draws it
// as arrows (scaled for visibility).
func driftFigure(dir string, r *Result, lo, hi float64) ([]string, error) {
	const n = 10
	sx, sy, cnt := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
	for i := 0; i+1 < len(r.drift); i += 2 {
		c := int((r.drift[i] - lo) / (hi - lo) * n)
		rr := int((r.drift[i+1] - lo) / (hi - lo) * n)
		if c < 0 || rr < 0 || c >= n || rr >= n {
			continue
		}
		sx[rr*n+c] += r.driftDelta[i]
		sy[rr*n+c] += r.driftDelta[i+1]
		cnt[rr*n+c]++
	}
	var x, y, dx, dy []float64
	var maxLen float64
	for k := range cnt {
		if cnt[k] < 3 {
			continue
		}
		mx, my := sx[k]/cnt[k], sy[k]/cnt[k]
		x = append(x, lo+(float64(k%n)+0.5)*(hi-lo)/n)
		y = append(y, lo+(float64(k/n)+0.5)*(hi-lo)/n)
		dx, dy = append(dx, mx), append(dy, my)
		maxLen = math.Max(maxLen, math.Hypot(mx, my))
	}
	scale := 0.8 * (hi - lo) / n / math.Max(maxLen, 1e-12)
	for i := range dx {
		dx[i] *= scale
		dy[i] *= scale
	}
	p, err := report.Arrows(fmt.Sprintf("%s: noise-free drift of sleep states (seed %d, x%.0f)", r.Condition, r.Seed, scale), "x (m)", "y (m)", x, y, dx, dy)
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, "drift_field")
}

// writeRunReport writes figures/training.{png,svg} and
// report.html for one trained network of an offline-reactivation study.
func writeRunReport(dir string, r *Result) error {
	f, err := fsutil.OpenRegular(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	var recs []record
	dec := json.NewDecoder(f)
	for dec.More() {
		var rec record
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, "metrics.jsonl"), err)
		}
		recs = append(recs, rec)
	}
	errS := report.Series{Name: "decoding error (training batch)"}
	for _, rec := range recs {
		errS.X, errS.Y = append(errS.X, float64(rec.Step)), append(errS.Y, float64(rec.DecodeErr))
	}
	p, err := report.Lines(fmt.Sprintf("%s seed %d: training", r.Condition, r.Seed), "step", "decoding error", []report.Series{errS})
	if err != nil {
		return err
	}
	if _, err := report.Save(p, filepath.Join(dir, "figures"), "training"); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s, seed %d (%s task, %s noise)\n\n| measure | value |\n|---|---|\n", r.Condition, r.Seed, r.Task, r.Noise)
	for _, row := range []struct {
		k string
		v float64
	}{{"decoding error, trained", float64(r.DecodeErr)}, {"decoding error, untrained", float64(r.UntrainedErr)},
		{"KL(quiescent || waking)", float64(r.KL)}, {"KL, untrained control", float64(r.KLUntrained)}, {"KL, uniform control", float64(r.KLUniform)},
		{"step waking", float64(r.StepWake)}, {"step quiescent", float64(r.StepQuiet)}, {"quiescent variance", float64(r.Variance)},
		{"drift alignment", float64(r.DriftAlignment)}, {"drift alignment, gradient-weighted", float64(r.DriftWeighted)}, {"seconds per training step", r.SecondsPerStep}} {
		fmt.Fprintf(&b, "| %s | %s |\n", row.k, analysis.FormatSig(row.v))
	}
	b.WriteString("\n![training.png](figures/training.png)\n")
	page, err := report.HTML(filepath.Base(dir), b.String(), dir)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "report.html"), page)
}

// klCell prints a KL estimate; one a hair below zero (the Monte-Carlo
// estimator's noise: a KL is never negative) as ≈0 with the estimate.
func klCell(m analysis.MeanSD) string {
	if v := float64(m.Mean); m.N > 0 && v < 0 && v > -1e-3 {
		return fmt.Sprintf("≈0 (%s)", m)
	}
	return m.String()
}

// GeneratorStats are the study's unbiased spatial generator's statistics
// over 2,000 trajectories (docs/science/offline-reactivation.md's re-simulation size).
type GeneratorStats struct {
	MeanStep float64 `json:"mean_step"`      // m
	WallRate float64 `json:"wall_rule_rate"` // fraction of steps on which wall avoidance fired
}

// measureGenerator draws 2,000 trajectories from the study's unbiased
// generator (its box and trajectory length) on a fixed stream.
func measureGenerator(s Config) *GeneratorStats {
	g := navigation.DefaultConfig()
	g.Box, g.Steps = s.Spatial.Box, s.Train.SeqLen
	b := g.Generate(rand.New(rand.NewPCG(7, 7)), 2000)
	var step float64
	for i := 0; i < b.T*b.B; i++ {
		step += math.Hypot(b.Vel[2*i], b.Vel[2*i+1])
	}
	return &GeneratorStats{MeanStep: step / float64(b.T*b.B), WallRate: float64(b.WallHits) / float64(b.B*(b.T+1))}
}

// Warnings flags every network whose decoding error is above half the
// untrained network's: it did not learn the task (at paper scale a trained
// network decodes ~100x better), so its quiescent measures say nothing
// about reactivation. circuitry's flag, not a check of the study's.
func (rep *Report) Warnings() []string {
	var out []string
	for _, r := range rep.results {
		if d, u := float64(r.DecodeErr), float64(r.UntrainedErr); u > 0 && !(d <= u/2) {
			out = append(out, fmt.Sprintf("%s/%s did not learn (decoding error %.3g, untrained %.3g): its quiescent rows say nothing",
				rep.Study, pointName(r.Condition, r.Seed), d, u))
		}
	}
	return out
}
