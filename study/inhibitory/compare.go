package inhibitory

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/study/classify"
)

// chanceAcc: a run whose final test accuracy is below this (10 classes,
// chance 0.1) or whose loss diverged counts as "at chance".
const chanceAcc = 0.15

// atChance says whether a finished run ended at chance (see chanceAcc).
func atChance(s *classify.Summary) bool { return s.Diverged || s.FinalTestAcc < chanceAcc }

// studyMedians are the study's median final test accuracies (%) over its
// 30 configurations at eps 0, 0.25, 0.5, 0.75.
var studyMedians = map[string][4]float64{
	"ei":         {86.81, 86.08, 84.58, 81.54},
	"ei_ln":      {87.90, 87.50, 86.42, 84.13},
	"e_ln":       {88.42, 87.73, 86.89, 85.14},
	"inorm":      {86.05, 84.00, 80.82, 79.87},
	"inorm_full": {88.57, 88.13, 87.33, 85.61},
}

func studyMedian(cond string, eps float64) float64 {
	m, ok := studyMedians[cond]
	if !ok {
		return math.NaN()
	}
	for i, e := range []float64{0, 0.25, 0.5, 0.75} {
		if math.Abs(e-eps) < 1e-9 {
			return m[i]
		}
	}
	return math.NaN()
}

// studyPairs are the comparisons the study makes, A against B; "LN+" in
// its checks 5-8 is E-only LN+ (e_ln), its reference.
var studyPairs = [][2]string{
	{"inorm_full", "e_ln"}, {"inorm", "e_ln"}, {"inorm", "ei"}, {"ei_ln", "ei"}, {"e_ln", "ei_ln"},
	{"inorm_full", "inorm"}, {"inorm_center", "e_ln"}, {"inorm_fa_center", "e_ln"},
	{"inorm_scale", "e_ln"}, {"inorm_decorrelate", "e_ln"}, {"mlp", "ei"}, {"ei_ln_identity", "ei_ln"},
}

// CellStats summarises one condition at one eps.
type CellStats struct {
	Eps         float64          `json:"eps"`
	Acc         analysis.Summary `json:"acc"` // final test accuracy, %
	AtChance    int              `json:"at_chance"`
	StudyMedian analysis.Float   `json:"study_median"` // null where the study has no number
	// The study's activity moments: per run the mean over hidden layers of
	// the across-unit mean and variance on the last batch of a training-set
	// evaluation pass after the final epoch; medians over the runs that did
	// not diverge (MomentsExcluded counts those that did).
	ZMean            analysis.Float `json:"z_mean"`
	ZVar             analysis.Float `json:"z_var"`
	MomentsExcluded  int            `json:"moments_excluded"`
	MaxAbsZMean      float64        `json:"max_abs_z_mean"`
	MaxAbsZVarMinus1 float64        `json:"max_abs_z_var_minus_1"`
	// ExactLNCosine is circuitry's whole-network diagnostic (not the
	// study's per-layer gradient alignment): the cosine between each hidden
	// layer's Wex gradient and the one an exact-layer-norm network with the
	// same weights would compute, median over runs and layers of the final
	// epoch; per hidden layer in ExactLNCosineByLayer.
	ExactLNCosine        analysis.Float   `json:"exact_ln_gradient_cosine"`
	ExactLNCosineByLayer []analysis.Float `json:"exact_ln_gradient_cosine_by_layer"`
	// The study's per-layer diagnostics at the last training step
	// (ei.LayerAlignment): per run the mean over hidden layers, median
	// over the runs that did not diverge.
	GradientAlignment analysis.Float `json:"gradient_alignment"`
	OutputAlignment   analysis.Float `json:"output_alignment"`
}

// ConditionRow is one condition across eps.
type ConditionRow struct {
	Condition string      `json:"condition"`
	Label     string      `json:"label"`
	Cells     []CellStats `json:"cells"`
}

// PairCell compares condition A with B at one eps.
type PairCell struct {
	Eps      float64        `json:"eps"`
	N        int            `json:"n"`         // paired configurations
	MeanDiff float64        `json:"mean_diff"` // mean over configs of A - B, accuracy points
	AWins    int            `json:"a_wins"`    // configs where A > B
	MWUp     analysis.Float `json:"mann_whitney_p"`
	WelchP   analysis.Float `json:"welch_p"` // seed-replicate protocol only; null otherwise
}

// PairRow is one comparison across eps.
type PairRow struct {
	A     string     `json:"a"`
	B     string     `json:"b"`
	Cells []PairCell `json:"cells"`
}

// Comparison is what `circuitry run` writes for the study.
type Comparison struct {
	Study      string         `json:"study"`
	Protocol   string         `json:"protocol"`
	Eps        []float64      `json:"eps"`
	Configs    []int          `json:"configs"`
	Replicates int            `json:"replicates"`
	Epochs     int            `json:"epochs"`
	Rows       []ConditionRow `json:"conditions"`
	Pairs      []PairRow      `json:"pairs"`
	Figures    []string       `json:"figures"`
	// OverEpochs: the accuracy clauses judged every 5 epochs (Write).
	OverEpochs []EpochVerdicts `json:"verdicts_over_epochs,omitempty"`
	results    []PointResult
	study      Config
}

// Compare builds the comparison tables from finished points.
func Compare(s Config, results []PointResult) *Comparison {
	c := &Comparison{Study: s.Name, Eps: s.Eps, Configs: s.hparamIndices(), Replicates: s.Replicates, Epochs: s.Epochs, results: results, study: s}
	c.Protocol = "paired hyper-parameter configurations, one seed each (authors' protocol; Mann-Whitney U over configurations)"
	if s.Replicates > 1 {
		c.Protocol = fmt.Sprintf("%d seed replicates per configuration (Welch's t-test over replicates; Mann-Whitney U over per-configuration means)", s.Replicates)
	}
	for _, cond := range s.Conditions {
		row := ConditionRow{Condition: cond, Label: ei.Conditions[cond].Label}
		for _, eps := range s.Eps {
			row.Cells = append(row.Cells, c.cell(cond, eps))
		}
		c.Rows = append(c.Rows, row)
	}
	have := map[string]bool{}
	for _, cond := range s.Conditions {
		have[cond] = true
	}
	for _, p := range studyPairs {
		if !have[p[0]] || !have[p[1]] {
			continue
		}
		row := PairRow{A: p[0], B: p[1]}
		for _, eps := range s.Eps {
			row.Cells = append(row.Cells, c.pair(p[0], p[1], eps))
		}
		c.Pairs = append(c.Pairs, row)
	}
	return c
}

// accs returns final accuracies (%) of cond at eps keyed by config, one
// value per replicate.
func (c *Comparison) accs(cond string, eps float64) map[int][]float64 {
	out := map[int][]float64{}
	for _, r := range c.results {
		if r.Condition == cond && r.Eps == eps && r.Summary != nil {
			out[r.HParam] = append(out[r.HParam], 100*r.Summary.FinalTestAcc)
		}
	}
	return out
}

func (c *Comparison) cell(cond string, eps float64) CellStats {
	var all, zm, zv, cos, galign, oalign []float64
	var byLayer [][]float64
	cs := CellStats{Eps: eps, StudyMedian: analysis.Float(studyMedian(cond, eps))}
	for _, r := range c.results {
		if r.Condition != cond || r.Eps != eps || r.Summary == nil {
			continue
		}
		acc := r.Summary.FinalTestAcc
		all = append(all, 100*acc)
		if f := r.Summary.Final; f != nil {
			for li, l := range f.Layers {
				if li >= len(byLayer) {
					byLayer = append(byLayer, nil)
				}
				byLayer[li] = append(byLayer[li], float64(l.Cosine))
				cos = append(cos, float64(l.Cosine))
			}
		}
		if atChance(r.Summary) {
			cs.AtChance++
			cs.MomentsExcluded++ // a collapsed network's moments say nothing of normalisation
			continue
		}
		if g, o, ok := runAlignment(r.Summary); ok {
			galign, oalign = append(galign, g), append(oalign, o)
		}
		if m, v, ok := runMoments(r.Summary); ok {
			zm, zv = append(zm, m), append(zv, v)
			cs.MaxAbsZMean = math.Max(cs.MaxAbsZMean, math.Abs(m))
			cs.MaxAbsZVarMinus1 = math.Max(cs.MaxAbsZVarMinus1, math.Abs(v-1))
		}
	}
	cs.Acc = analysis.Summarize(all)
	for _, l := range byLayer {
		cs.ExactLNCosineByLayer = append(cs.ExactLNCosineByLayer, analysis.Float(analysis.Median(l)))
	}
	cs.ZMean, cs.ZVar, cs.ExactLNCosine = analysis.Float(analysis.Median(zm)), analysis.Float(analysis.Median(zv)), analysis.Float(analysis.Median(cos))
	cs.GradientAlignment, cs.OutputAlignment = analysis.Float(analysis.Median(galign)), analysis.Float(analysis.Median(oalign))
	return cs
}

// runAlignment is a run's last-step gradient and output alignment,
// averaged over its hidden layers (the study's figures average the two);
// false if the run has none (an MLP, or written before it was measured).
func runAlignment(s *classify.Summary) (grad, out float64, ok bool) {
	n := 0
	for _, l := range s.LastStepAlignment {
		if g, o := float64(l.Gradient), float64(l.Output); !math.IsNaN(g) && !math.IsNaN(o) {
			grad, out, n = grad+g, out+o, n+1
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	return grad / float64(n), out / float64(n), true
}

// runMoments is a run's activity moments averaged over its hidden layers:
// from the training-set evaluation pass (the study's), or, for runs
// written before it existed, the final epoch's average.
func runMoments(s *classify.Summary) (mean, variance float64, ok bool) {
	layers := s.TrainEvalLayers
	if len(layers) == 0 && s.Final != nil {
		layers = s.Final.Layers
	}
	if len(layers) == 0 {
		return 0, 0, false
	}
	for _, l := range layers {
		mean += float64(l.Mean) / float64(len(layers))
		variance += float64(l.Var) / float64(len(layers))
	}
	return mean, variance, true
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func (c *Comparison) pair(a, b string, eps float64) PairCell {
	pa, pb := c.accs(a, eps), c.accs(b, eps)
	pc := PairCell{Eps: eps, WelchP: analysis.Float(math.NaN())}
	var xa, xb, ra, rb []float64
	var keys []int
	for k := range pa {
		if _, ok := pb[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Ints(keys)
	var diff float64
	for _, k := range keys {
		ma, mb := mean(pa[k]), mean(pb[k])
		xa, xb = append(xa, ma), append(xb, mb)
		ra, rb = append(ra, pa[k]...), append(rb, pb[k]...)
		diff += ma - mb
		if ma > mb {
			pc.AWins++
		}
	}
	pc.N = len(keys)
	pc.MeanDiff = diff / float64(max(len(keys), 1))
	_, p := analysis.MannWhitneyU(xa, xb)
	pc.MWUp = analysis.Float(p)
	if c.Replicates > 1 {
		_, _, wp := analysis.WelchT(ra, rb)
		pc.WelchP = analysis.Float(wp)
	}
	return pc
}

// Write saves comparison.json, comparison.md, results.csv and the figures
// under dir.
func (c *Comparison) Write(dir string) error {
	figDir := filepath.Join(dir, "figures")
	figs, err := c.figures(figDir)
	if err != nil {
		return err
	}
	c.Figures = figs
	c.OverEpochs = c.overEpochs(5)
	if err := report.WriteStudy(dir, "comparison", c.Study, c.Markdown(), c); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "results.csv"), c.csv())
}

func (c *Comparison) csv() []byte {
	var b bytes.Buffer
	b.WriteString("condition,eps,hparam,replicate,final_test_acc,clean_test_acc,diverged,local_loss,h1_mean,h1_var,h1_cosine,h2_mean,h2_var,h2_cosine\n")
	for _, r := range c.results {
		s := r.Summary
		fmt.Fprintf(&b, "%s,%g,%d,%d,%.4f,%.4f,%v", r.Condition, r.Eps, r.HParam, r.Replicate, s.FinalTestAcc, s.CleanTestAcc, s.Diverged)
		if f := s.Final; f != nil {
			fmt.Fprintf(&b, ",%.6g", f.LocalLoss)
			for _, l := range f.Layers {
				fmt.Fprintf(&b, ",%.6g,%.6g,%.6g", l.Mean, l.Var, l.Cosine)
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func fmtP(f analysis.Float) string {
	p := float64(f)
	if math.IsNaN(p) {
		return "–"
	}
	if p < 1e-3 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.3f", p)
}

func fmtNum(f analysis.Float, prec int) string {
	v := float64(f)
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// Markdown renders the comparison tables.
func (c *Comparison) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: comparison\n\nProtocol: %s. %d epochs; configurations %v.\n\n", c.Study, c.Protocol, c.Epochs, c.Configs)
	b.WriteString("## Final test accuracy (%), per condition and luminosity bound eps\n\n")
	b.WriteString("| condition | eps | median | mean | min | max | at chance | study median |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range c.Rows {
		for _, cell := range r.Cells {
			fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %d/%d | %s |\n", r.Label, cell.Eps, cell.Acc.Median, cell.Acc.Mean,
				cell.Acc.Min, cell.Acc.Max, cell.AtChance, cell.Acc.N, fmtNum(cell.StudyMedian, 2))
		}
	}
	b.WriteString("\n## Paired comparisons (A - B, accuracy points)\n\n")
	b.WriteString("| A | B | eps | n | mean diff | A better | Mann-Whitney p | Welch p |\n|---|---|---|---|---|---|---|---|\n")
	for _, p := range c.Pairs {
		for _, cell := range p.Cells {
			fmt.Fprintf(&b, "| %s | %s | %.2f | %d | %+.2f | %d/%d | %s | %s |\n", ei.Conditions[p.A].Label, ei.Conditions[p.B].Label,
				cell.Eps, cell.N, cell.MeanDiff, cell.AWins, cell.N, fmtP(cell.MWUp), fmtP(cell.WelchP))
		}
	}
	b.WriteString("\n## Activity moments and gradient diagnostics\n\n")
	b.WriteString("Moments, as the study logs them: each hidden layer's output before ReLU and before any layer norm (I-Norm: z; E and E-I networks: the raw pre-activation), across-unit mean and variance on the last batch of a training-set evaluation pass after the final epoch, averaged over the hidden layers; medians over runs, diverged runs excluded (counted). Gradient and output alignment: the study's per-layer diagnostics at the last training step (gradient: cosine between the Wex gradient of sum ReLU(LN(z)) by exact layer-norm autograd and that of sum ReLU(N(z)) by the layer's own backward; output: cosine between ReLU(LN(z)) and ReLU(z)), mean over hidden layers, median over runs that did not diverge. Exact-LN cosine: circuitry's whole-network diagnostic, not the study's per-layer gradient alignment: between each hidden layer's Wex gradient and the one an exact-layer-norm network with the same weights would compute, measured every align_every steps of the final epoch; per layer, h1 = first hidden layer.\n\n")
	b.WriteString("| condition | eps | mean | var | diverged, excluded | max abs mean | max abs(var-1) | gradient alignment | output alignment | exact-LN cosine (h1, h2, ...) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range c.Rows {
		for _, cell := range r.Cells {
			var cs []string
			for _, v := range cell.ExactLNCosineByLayer {
				cs = append(cs, fmtNum(v, 3))
			}
			fmt.Fprintf(&b, "| %s | %.2f | %s | %s | %d | %.4f | %.4f | %s | %s | %s |\n", r.Label, cell.Eps, fmtNum(cell.ZMean, 4), fmtNum(cell.ZVar, 4),
				cell.MomentsExcluded, cell.MaxAbsZMean, cell.MaxAbsZVarMinus1, fmtNum(cell.GradientAlignment, 3), fmtNum(cell.OutputAlignment, 3), strings.Join(cs, ", "))
		}
	}
	if len(c.OverEpochs) > 0 {
		b.WriteString("\n## Verdicts over epochs\n\nThe checks judged from accuracies, on each run's test accuracy after the epoch named (the rules of the verdict table; a run whose curve stops earlier diverged and counts at chance). Moments and alignments are measured after the last epoch only.\n\n")
		b.WriteString(epochTable(c.OverEpochs))
	}
	if len(c.Figures) > 0 {
		b.WriteString("\n## Figures\n\n")
		for _, f := range c.Figures {
			if strings.HasSuffix(f, ".png") {
				fmt.Fprintf(&b, "![%s](%s)\n", filepath.Base(f), filepath.Join("figures", filepath.Base(f)))
			}
		}
	}
	return b.String()
}

func (c *Comparison) figures(dir string) ([]string, error) {
	var paths []string
	for _, fig := range []func(string) ([]string, error){c.accuracyFigure, c.gapFigures, c.pairedFigures, c.curveFigures, c.epochFigures} {
		ps, err := fig(dir)
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	return paths, nil
}

// accuracyFigure plots accuracy against eps: median, min-max bars.
func (c *Comparison) accuracyFigure(dir string) ([]string, error) {
	var series []report.Series
	for _, r := range c.Rows {
		s := report.Series{Name: r.Label}
		for _, cell := range r.Cells {
			s.X = append(s.X, cell.Eps)
			s.Y = append(s.Y, cell.Acc.Median)
			s.Lo = append(s.Lo, cell.Acc.Min)
			s.Hi = append(s.Hi, cell.Acc.Max)
		}
		series = append(series, s)
	}
	p, err := report.Lines("Final test accuracy: median over configurations, bars min to max", "luminosity bound eps", "test accuracy (%)", series)
	if err != nil {
		return nil, err
	}
	return report.Save(p, dir, "accuracy_vs_eps")
}

// headlinePair says whether a pair is one of the study's headline
// comparisons, drawn paired by configuration.
func headlinePair(pr PairRow) bool {
	return pr.A == "inorm_full" && pr.B == "e_ln" || pr.A == "inorm" && pr.B == "e_ln" || pr.A == "ei_ln" && pr.B == "ei"
}

// pairedFigures scatter the study's headline comparisons at every eps,
// paired by configuration.
func (c *Comparison) pairedFigures(dir string) ([]string, error) {
	var paths []string
	for _, pr := range c.Pairs {
		if !headlinePair(pr) {
			continue
		}
		for _, eps := range c.Eps {
			pa, pb := c.accs(pr.A, eps), c.accs(pr.B, eps)
			var x, y []float64
			for k, va := range pa {
				if vb, ok := pb[k]; ok {
					x, y = append(x, mean(vb)), append(y, mean(va))
				}
			}
			sp, err := report.Scatter(fmt.Sprintf("Paired by configuration, eps %.2f", eps), ei.Conditions[pr.B].Label+" accuracy (%)", ei.Conditions[pr.A].Label+" accuracy (%)", x, y)
			if err != nil {
				return nil, err
			}
			ps, err := report.Save(sp, dir, fmt.Sprintf("paired_%s_vs_%s_eps%s", pr.A, pr.B, strconv.FormatFloat(eps, 'g', -1, 64)))
			if err != nil {
				return nil, err
			}
			paths = append(paths, ps...)
		}
	}
	return paths, nil
}

// gapFigures draw, per eps, what the claims are about: each condition's
// accuracy minus E-only LN+'s (the study's reference), one dot per
// configuration, with the mean and its 95% bootstrap interval over
// configurations (the interval the verdicts use).
func (c *Comparison) gapFigures(dir string) ([]string, error) {
	if c.row("e_ln") == nil {
		return nil, nil
	}
	var paths []string
	for _, eps := range c.Eps {
		ref := c.perConfig("e_ln", eps)
		var groups []report.StripGroup
		for _, r := range c.Rows {
			if r.Condition == "e_ln" {
				continue
			}
			a := c.perConfig(r.Condition, eps)
			var d []float64
			for _, k := range c.Configs {
				va, okA := a[k]
				vb, okB := ref[k]
				if okA && okB {
					d = append(d, va-vb)
				}
			}
			g := report.StripGroup{Name: r.Label, Values: d, Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
			if iv := bootstrap(len(c.Configs), directionalConf, c.pairedMean(r.Condition, "e_ln", eps, nil)); !math.IsNaN(iv.est) && iv.valid() {
				g.Mean, g.CILo, g.CIHi = iv.est, iv.lo, iv.hi
			}
			groups = append(groups, g)
		}
		if len(groups) == 0 {
			continue
		}
		p, err := report.Strip(fmt.Sprintf("Accuracy minus E-only LN+'s, per configuration, eps %.2f", eps), "difference (accuracy points)", "mean, 95% CI", true, groups)
		if err != nil {
			return nil, err
		}
		ps, err := report.Save(p, dir, "gap_to_e_ln_eps"+strconv.FormatFloat(eps, 'g', -1, 64))
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	return paths, nil
}

// curveFigures plot test accuracy during training (mean over runs) per eps.
func (c *Comparison) curveFigures(dir string) ([]string, error) {
	var paths []string
	for _, eps := range c.Eps {
		var series []report.Series
		for _, r := range c.Rows {
			var sum []float64
			var n []int
			for _, pr := range c.results {
				if pr.Condition != r.Condition || pr.Eps != eps {
					continue
				}
				for e, v := range pr.Curve {
					if e >= len(sum) {
						sum, n = append(sum, 0), append(n, 0)
					}
					sum[e] += 100 * v
					n[e]++
				}
			}
			s := report.Series{Name: r.Label}
			for e := range sum {
				s.X = append(s.X, float64(e+1))
				s.Y = append(s.Y, sum[e]/float64(n[e]))
			}
			series = append(series, s)
		}
		p, err := report.Lines(fmt.Sprintf("Test accuracy during training, eps %.2f (mean over runs)", eps), "epoch", "test accuracy (%)", series)
		if err != nil {
			return nil, err
		}
		p.X.Tick.Marker = report.IntegerTicks{}
		ps, err := report.Save(p, dir, "curves_eps"+strconv.FormatFloat(eps, 'g', -1, 64))
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	return paths, nil
}
