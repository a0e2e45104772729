package inhibitory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/tensor"
)

func (c *Comparison) row(cond string) *ConditionRow {
	for i := range c.Rows {
		if c.Rows[i].Condition == cond {
			return &c.Rows[i]
		}
	}
	return nil
}

func (c *Comparison) pairRow(a, b string) *PairRow {
	for i := range c.Pairs {
		if c.Pairs[i].A == a && c.Pairs[i].B == b {
			return &c.Pairs[i]
		}
	}
	return nil
}

// initMoments measures the across-unit mean and variance of every hidden
// layer at initialisation on a random non-negative batch.
func initMoments(cond string) (maxAbsMean, maxAbsVarMinus1 float64) {
	rng := rand.New(rand.NewPCG(11, 13))
	net, err := ei.NewNetwork(ei.Conditions[cond], 784, []int{200, 200}, nil, 10, 0.01, rng)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	x := tensor.New(64, 784)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	net.Forward(x)
	for _, s := range net.Stats() {
		maxAbsMean = math.Max(maxAbsMean, math.Abs(float64(s.Mean)))
		maxAbsVarMinus1 = math.Max(maxAbsVarMinus1, math.Abs(float64(s.Var)-1))
	}
	return maxAbsMean, maxAbsVarMinus1
}

// Checks are the study's claims, in its order, each with the study's
// scope, reference condition ("LN+" in checks 5-8 is E-only LN+, e_ln) and
// thresholds, quoted from inhibitory-normalization.md. Counts over the
// study's 30 configurations scale to the configurations run; a test that
// cannot reach the study's threshold with them is "underpowered".
var Checks = []experiment.Check[*Comparison]{
	{N: 1, Name: "init-normalised", Judge: judgeInit},
	{N: 2, Name: "layer-norm-helps", Judge: judgeLayerNormHelps},
	{N: 3, Name: "e-only-vs-ei-ln", Judge: judgeEOnlyVsEI},
	{N: 4, Name: "activity-normalised", Judge: judgeActivityNormalised},
	{N: 5, Name: "inference-only-worse", Judge: judgeInferenceOnlyWorse},
	{N: 5, Name: "inference-only-collapses", Judge: judgeInferenceOnlyCollapses},
	{N: 5, Name: "inference-only-alignment", Judge: judgeInferenceOnlyAlignment},
	{N: 6, Name: "gradnorm-rescues", Judge: judgeGradNorm},
	{N: 6, Name: "gradnorm-alignment", Judge: judgeGradNormAlignment},
	{N: 7, Name: "centring-essential", Judge: judgeCentring},
	{N: 7, Name: "scale-decorrelate-worse", Judge: judgeScaleDecorrelate},
	{N: 8, Name: "lateral-centring", Judge: judgeLateral},
}

// Verdicts judges every claim on a comparison.
func Verdicts(c *Comparison) []experiment.Verdict { return experiment.Judge(Checks, c) }

func one(v experiment.Verdict) []experiment.Verdict { return []experiment.Verdict{v} }

// scaled is the study's count out of 30 configurations at n configurations
// (rounded up: the bar is never lowered).
func scaled(of30, n int) int { return (of30*n + 29) / 30 }

// minP is the smallest two-sided Mann-Whitney p two samples of n1 and n2
// can give (complete separation): a test whose minP is above the study's
// significance level cannot reach it.
func minP(n1, n2 int) float64 {
	x, y := make([]float64, n1), make([]float64, n2)
	for i := range x {
		x[i] = float64(i)
	}
	for i := range y {
		y[i] = float64(n1 + i)
	}
	_, p := analysis.MannWhitneyU(x, y)
	return p
}

// values are cond's per-configuration accuracies (%) at eps, replicates
// averaged, in configuration order.
func (c *Comparison) values(cond string, eps float64) []float64 {
	acc := c.accs(cond, eps)
	keys := make([]int, 0, len(acc))
	for k := range acc {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]float64, len(keys))
	for i, k := range keys {
		out[i] = mean(acc[k])
	}
	return out
}

func mannWhitney(x, y []float64) float64 {
	_, p := analysis.MannWhitneyU(x, y)
	return p
}

func judgeInit(*Comparison) []experiment.Verdict {
	dm, _ := initMoments("ei")
	im, iv := initMoments("inorm_full")
	return one(experiment.NewVerdict(1, "At initialisation DANN layers have zero across-unit mean; I-Norm layers mean 0, variance 1",
		fmt.Sprintf("DANN max abs mean %.1e; I-Norm max abs mean %.1e, max abs(var-1) %.1e", dm, im, iv), "< 1e-4 (mean), < 1e-3 (var)", dm < 1e-4 && im < 1e-4 && iv < 1e-3))
}

// Check 2: "E-I LN+ > E-I LN- in >= 25/30 configs at every eps; mean
// paired gap ~0.9 points at eps 0 growing to ~2.4 at eps 0.75."
func judgeLayerNormHelps(c *Comparison) []experiment.Verdict {
	const claim = "Layer norm helps DANNs, more with wider luminosity (E-I LN+ vs E-I LN-)"
	p := c.pairRow("ei_ln", "ei")
	if p == nil {
		return one(experiment.NotApplicable(2, claim, "needs conditions ei and ei_ln"))
	}
	var ms []string
	ok := true
	for _, cell := range p.Cells {
		need := scaled(25, cell.N)
		ms = append(ms, fmt.Sprintf("eps %g: better in %d/%d (need %d), %+.2f", cell.Eps, cell.AWins, cell.N, need, cell.MeanDiff))
		ok = ok && cell.AWins >= need && cell.MeanDiff > 0
	}
	thr := ">= 25/30 configs better at every eps, mean gap > 0"
	if len(p.Cells) > 1 {
		ok = ok && p.Cells[len(p.Cells)-1].MeanDiff > p.Cells[0].MeanDiff
		thr += ", gap at the widest eps > at the narrowest"
	}
	return one(experiment.NewVerdict(2, claim, strings.Join(ms, "; "), thr, ok))
}

// Check 3: "E-only LN+ and E-I LN+ are not significantly different (top-10
// configs pooled over eps, p ~ 0.76)."
func judgeEOnlyVsEI(c *Comparison) []experiment.Verdict {
	const claim = "E-only LN+ and E-I LN+ are not significantly different (best configs pooled over eps)"
	if c.row("e_ln") == nil || c.row("ei_ln") == nil {
		return one(experiment.NotApplicable(3, claim, "needs conditions e_ln and ei_ln"))
	}
	var a, b []float64
	k := 0
	for _, eps := range c.Eps {
		va, vb := c.values("e_ln", eps), c.values("ei_ln", eps)
		k = max(1, (10*len(va)+15)/30) // the top 10 of 30, scaled
		a, b = append(a, topK(va, k)...), append(b, topK(vb, k)...)
	}
	p := mannWhitney(a, b)
	measured := fmt.Sprintf("top %d configs per eps, pooled (%d vs %d): Mann-Whitney p = %s (study 0.76)", k, len(a), len(b), fmtP(analysis.Float(p)))
	const thr = "p > 0.05"
	if minP(len(a), len(b)) > 0.05 {
		return one(experiment.Underpowered(3, claim, measured+"; no difference could reach p < 0.05", thr))
	}
	return one(experiment.NewVerdict(3, claim, measured, thr, p > 0.05))
}

// topK returns the k largest values.
func topK(x []float64, k int) []float64 {
	s := append([]float64(nil), x...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	return s[:min(k, len(s))]
}

// Check 4: "after training, I-Norm hidden outputs have across-unit mean ~0
// (|median| < 0.01) and variance ~1 (median ~0.99); plain DANN
// pre-activations have mean ~ -0.55 and variance ~1.2." The study gives
// a bar for the mean only; variances are reported beside it.
func judgeActivityNormalised(c *Comparison) []experiment.Verdict {
	var vs []experiment.Verdict
	for _, cond := range []string{"inorm_full", "inorm"} {
		r := c.row(cond)
		if r == nil {
			continue
		}
		var worst float64
		var ms []string
		excluded := 0
		for _, cell := range r.Cells {
			worst = math.Max(worst, math.Abs(float64(cell.ZMean)))
			ms = append(ms, fmt.Sprintf("eps %g: mean %s, var %s", cell.Eps, fmtNum(cell.ZMean, 4), fmtNum(cell.ZVar, 3)))
			excluded += cell.MomentsExcluded
		}
		if dann := c.row("ei"); dann != nil {
			ms = append(ms, fmt.Sprintf("E-I LN- mean %s, var %s at eps %g (study -0.55, 1.2)", fmtNum(dann.Cells[0].ZMean, 3), fmtNum(dann.Cells[0].ZVar, 3), dann.Cells[0].Eps))
		}
		if excluded > 0 {
			ms = append(ms, fmt.Sprintf("%d diverged runs excluded", excluded))
		}
		vs = append(vs, experiment.NewVerdict(4, fmt.Sprintf("Learned inhibition normalises activity after training (%s)", r.Label),
			strings.Join(ms, "; "), "abs(median mean) < 0.01 at every eps (study: variance ~0.99)", !math.IsNaN(worst) && worst < 0.01))
	}
	return vs
}

// Check 5: "worse than LN+ in 30/30 configs ... worse than LN+ in every
// config where it did not collapse."
func judgeInferenceOnlyWorse(c *Comparison) []experiment.Verdict {
	const claim = "Inference-only normalisation does not help: worse than E-only LN+ in every configuration where it did not collapse"
	if c.row("inorm") == nil || c.row("e_ln") == nil {
		return one(experiment.NotApplicable(5, claim, "needs conditions inorm and e_ln"))
	}
	var ms []string
	ok := true
	for _, eps := range c.Eps {
		a, b := c.accs("inorm", eps), c.accs("e_ln", eps)
		better, n := 0, 0
		for k, va := range a {
			vb, both := b[k]
			if !both || mean(va) < 100*chanceAcc {
				continue // collapsed: judged by the next row
			}
			n++
			if mean(va) >= mean(vb) {
				better++
			}
		}
		ms = append(ms, fmt.Sprintf("eps %g: not worse in %d/%d", eps, better, n))
		ok = ok && better == 0
	}
	return one(experiment.NewVerdict(5, claim, strings.Join(ms, "; "), "not worse in 0 non-collapsed configurations at every eps", ok))
}

// Check 5: "30-43% of configs diverge" (9, 12, 13, 9 of 30 per eps).
func judgeInferenceOnlyCollapses(c *Comparison) []experiment.Verdict {
	const claim = "Inference-only normalisation collapses (at chance) in 30-43% of configurations"
	r := c.row("inorm")
	if r == nil {
		return one(experiment.NotApplicable(5, claim, "needs condition inorm"))
	}
	chance, n := 0, 0
	var ms []string
	for _, cell := range r.Cells {
		chance, n = chance+cell.AtChance, n+cell.Acc.N
		ms = append(ms, fmt.Sprintf("eps %g: %d/%d", cell.Eps, cell.AtChance, cell.Acc.N))
	}
	frac := float64(chance) / float64(max(n, 1))
	return one(experiment.NewVerdict(5, claim, fmt.Sprintf("%s; pooled %.0f%% (study 9/12/13/9 of 30, 36%%)", strings.Join(ms, ", "), 100*frac),
		"pooled over eps, 30% to 43% of runs at chance", frac >= 0.30 && frac <= 0.43))
}

// alignmentCells lists a condition's cells that have the last-step
// alignment (runs that did not diverge, written by a circuitry that
// measures it), or why there are none.
func alignmentCells(c *Comparison, cond string) ([]CellStats, string) {
	r := c.row(cond)
	if r == nil {
		return nil, "needs condition " + cond
	}
	var cells []CellStats
	for _, cell := range r.Cells {
		if !math.IsNaN(float64(cell.GradientAlignment)) && !math.IsNaN(float64(cell.OutputAlignment)) {
			cells = append(cells, cell)
		}
	}
	if len(cells) == 0 {
		return nil, "needs the study's last-step gradient and output alignment of " + cond + " runs that did not diverge (none recorded)"
	}
	return cells, ""
}

// Check 5: "cosine between its weight gradient and the exact-LN gradient
// only ~0.1-0.3 although its forward output is ~0.7-0.97 similar to LN's"
// (the study's per-layer diagnostics at the last training step).
func judgeInferenceOnlyAlignment(c *Comparison) []experiment.Verdict {
	const claim = "Inference-only: gradient alignment to exact LN only ~0.1-0.3, though output alignment ~0.7-0.97"
	cells, why := alignmentCells(c, "inorm")
	if cells == nil {
		return one(experiment.NotApplicable(5, claim, why))
	}
	ok := true
	var ms []string
	for _, cell := range cells {
		g, o := float64(cell.GradientAlignment), float64(cell.OutputAlignment)
		ok = ok && g <= 0.3 && o >= 0.7
		ms = append(ms, fmt.Sprintf("eps %g: gradient %.3f, output %.3f", cell.Eps, g, o))
	}
	return one(experiment.NewVerdict(5, claim, strings.Join(ms, "; "), "median gradient alignment <= 0.3 and output alignment >= 0.7 at every eps", ok))
}

// Check 6: "'full' gradient cosine to exact LN >= 0.96".
func judgeGradNormAlignment(c *Comparison) []experiment.Verdict {
	const claim = "GradNorm: gradient alignment to exact LN >= 0.96"
	cells, why := alignmentCells(c, "inorm_full")
	if cells == nil {
		return one(experiment.NotApplicable(6, claim, why))
	}
	ok := true
	var ms []string
	for _, cell := range cells {
		g := float64(cell.GradientAlignment)
		ok = ok && g >= 0.96
		ms = append(ms, fmt.Sprintf("eps %g: %.3f", cell.Eps, g))
	}
	return one(experiment.NewVerdict(6, claim, strings.Join(ms, "; "), "median gradient alignment >= 0.96 at every eps", ok))
}

// Check 6: "accuracy >= LN+, better than LN+ in >= 20/30 configs,
// Mann-Whitney p < 0.01 for eps >= 0.25; no divergence."
func judgeGradNorm(c *Comparison) []experiment.Verdict {
	const claim = "Error normalisation rescues learning: GradNorm better than E-only LN+, significantly for eps >= 0.25, no divergence"
	p := c.pairRow("inorm_full", "e_ln")
	if p == nil {
		return one(experiment.NotApplicable(6, claim, "needs conditions inorm_full and e_ln"))
	}
	var ms []string
	ok, powered := true, true
	for _, cell := range p.Cells {
		need := scaled(20, cell.N)
		ms = append(ms, fmt.Sprintf("eps %g: %+.2f, better in %d/%d (need %d), p %s", cell.Eps, cell.MeanDiff, cell.AWins, cell.N, need, fmtP(cell.MWUp)))
		ok = ok && cell.AWins >= need && cell.MeanDiff >= 0
		if cell.Eps >= 0.25 {
			ok = ok && float64(cell.MWUp) < 0.01
			powered = powered && minP(cell.N, cell.N) < 0.01
		}
	}
	chance := 0
	for _, cell := range c.row("inorm_full").Cells {
		chance += cell.AtChance
	}
	ok = ok && chance == 0
	measured := strings.Join(ms, "; ") + fmt.Sprintf("; runs at chance %d", chance)
	const thr = "better in >= 20/30 configs and mean difference >= 0 at every eps, Mann-Whitney p < 0.01 for eps >= 0.25, no run at chance"
	if !powered {
		return one(experiment.Underpowered(6, claim, measured+"; too few configurations for p < 0.01", thr))
	}
	return one(experiment.NewVerdict(6, claim, measured, thr, ok))
}

// notDifferent judges "cond ~ LN+ (p > alpha at every eps)": underpowered
// where no difference could reach p < 0.05.
func notDifferent(c *Comparison, check int, claim, cond string, alpha float64) []experiment.Verdict {
	p := c.pairRow(cond, "e_ln")
	if p == nil {
		return one(experiment.NotApplicable(check, claim, fmt.Sprintf("needs conditions %s and e_ln (paper scale)", cond)))
	}
	var ms []string
	ok, powered := true, true
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %g: %+.2f, p %s", cell.Eps, cell.MeanDiff, fmtP(cell.MWUp)))
		ok = ok && float64(cell.MWUp) > alpha
		powered = powered && minP(cell.N, cell.N) < 0.05
	}
	thr := fmt.Sprintf("Mann-Whitney p > %g vs E-only LN+ at every eps", alpha)
	if !powered {
		return one(experiment.Underpowered(check, claim, strings.Join(ms, "; ")+"; no difference could reach p < 0.05", thr))
	}
	return one(experiment.NewVerdict(check, claim, strings.Join(ms, "; "), thr, ok))
}

// Check 7: "center alone ~ LN+ (p > 0.25 at all eps)".
func judgeCentring(c *Comparison) []experiment.Verdict {
	return notDifferent(c, 7, "Centring is the essential part: I-Norm + center ~ E-only LN+", "inorm_center", 0.25)
}

// Check 7: "scale-only and decorrelate-only significantly worse (p <
// 1e-8), scale-only diverging in most runs at eps >= 0.5."
func judgeScaleDecorrelate(c *Comparison) []experiment.Verdict {
	var vs []experiment.Verdict
	for _, cond := range []string{"inorm_scale", "inorm_decorrelate"} {
		claim := fmt.Sprintf("%s is significantly worse than E-only LN+", ei.Conditions[cond].Label)
		p := c.pairRow(cond, "e_ln")
		if p == nil {
			vs = append(vs, experiment.NotApplicable(7, claim, fmt.Sprintf("needs conditions %s and e_ln (paper scale)", cond)))
			continue
		}
		var ms []string
		ok, powered := true, true
		for _, cell := range p.Cells {
			ms = append(ms, fmt.Sprintf("eps %g: %+.2f, p %s", cell.Eps, cell.MeanDiff, fmtP(cell.MWUp)))
			ok = ok && cell.MeanDiff < 0 && float64(cell.MWUp) < 1e-8
			powered = powered && minP(cell.N, cell.N) < 1e-8
		}
		thr := "below E-only LN+ with Mann-Whitney p < 1e-8 at every eps"
		if cond == "inorm_scale" {
			for _, cell := range c.row(cond).Cells {
				if cell.Eps >= 0.5 {
					ms = append(ms, fmt.Sprintf("eps %g at chance %d/%d", cell.Eps, cell.AtChance, cell.Acc.N))
					ok = ok && 2*cell.AtChance > cell.Acc.N
				}
			}
			thr += "; at chance in most runs at eps >= 0.5"
		}
		if !powered {
			vs = append(vs, experiment.Underpowered(7, claim, strings.Join(ms, "; ")+"; too few configurations for p < 1e-8", thr))
			continue
		}
		vs = append(vs, experiment.NewVerdict(7, claim, strings.Join(ms, "; "), thr, ok))
	}
	return vs
}

// Check 8: "Lateral-inhibition centring (fa_center) is statistically
// indistinguishable from LN+ (p > 0.4)."
func judgeLateral(c *Comparison) []experiment.Verdict {
	return notDifferent(c, 8, "Lateral-inhibition centring (fa_center) is indistinguishable from E-only LN+", "inorm_fa_center", 0.4)
}
