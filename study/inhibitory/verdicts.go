package inhibitory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

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
		maxAbsMean = math.Max(maxAbsMean, math.Abs(s.Mean))
		maxAbsVarMinus1 = math.Max(maxAbsVarMinus1, math.Abs(s.Var-1))
	}
	return maxAbsMean, maxAbsVarMinus1
}

// Checks are the study's claims, in its order. Counts over
// configurations are scaled from the study's 30 to the run's number.
var Checks = []experiment.Check[*Comparison]{
	{N: 1, Name: "init-normalised", Judge: judgeInit},
	{N: 2, Name: "layer-norm-helps", Judge: judgeLayerNormHelps},
	{N: 3, Name: "e-only-vs-ei-ln", Judge: judgeEOnlyVsEI},
	{N: 4, Name: "activity-normalised", Judge: judgeActivityNormalised},
	{N: 5, Name: "inference-only-fails", Judge: judgeInferenceOnly},
	{N: 6, Name: "gradnorm-rescues", Judge: judgeGradNorm},
	{N: 7, Name: "centring-essential", Judge: judgeCentring},
	{N: 8, Name: "lateral-centring", Judge: judgeLateral},
}

// Verdicts judges every claim on a comparison.
func Verdicts(c *Comparison) []experiment.Verdict { return experiment.Judge(Checks, c) }

func one(v experiment.Verdict) []experiment.Verdict { return []experiment.Verdict{v} }

func judgeInit(*Comparison) []experiment.Verdict {
	dm, _ := initMoments("ei")
	im, iv := initMoments("inorm_full")
	return one(experiment.NewVerdict(1, "At initialisation DANN layers have zero across-unit mean; I-Norm layers mean 0, variance 1",
		fmt.Sprintf("DANN max abs mean %.1e; I-Norm max abs mean %.1e, max abs(var-1) %.1e", dm, im, iv), "< 1e-4 (mean), < 1e-3 (var)", dm < 1e-4 && im < 1e-4 && iv < 1e-3))
}

func judgeLayerNormHelps(c *Comparison) []experiment.Verdict {
	p := c.pairRow("ei_ln", "ei")
	if p == nil {
		return one(experiment.NotApplicable(2, "Layer norm helps DANNs", "needs conditions ei and ei_ln"))
	}
	var ms []string
	ok := true
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %.2f: %d/%d, %+.2f", cell.Eps, cell.AWins, cell.N, cell.MeanDiff))
		ok = ok && float64(cell.AWins) >= 25.0/30*float64(cell.N) && cell.MeanDiff > 0
	}
	growing := p.Cells[len(p.Cells)-1].MeanDiff > p.Cells[0].MeanDiff
	return one(experiment.NewVerdict(2, "Layer norm helps DANNs, more with wider luminosity (E-I LN+ vs E-I LN-)",
		strings.Join(ms, "; "), ">= 25/30 of configs better at every eps, gap growing with eps", ok && growing))
}

func judgeEOnlyVsEI(c *Comparison) []experiment.Verdict {
	p := c.pairRow("e_ln", "ei_ln")
	if p == nil {
		return nil
	}
	var ms []string
	ok := true
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %.2f: p = %s", cell.Eps, fmtP(cell.MWUp)))
		ok = ok && float64(cell.MWUp) > 0.05
	}
	return one(experiment.NewVerdict(3, "E-only LN+ and E-I LN+ are not significantly different", strings.Join(ms, "; "), "Mann-Whitney p > 0.05 at every eps", ok))
}

func judgeActivityNormalised(c *Comparison) []experiment.Verdict {
	var vs []experiment.Verdict
	for _, cond := range []string{"inorm_full", "inorm"} {
		r := c.row(cond)
		if r == nil {
			continue
		}
		var worstM, worstV float64
		for _, cell := range r.Cells {
			worstM = math.Max(worstM, math.Abs(float64(cell.ZMean)))
			worstV = math.Max(worstV, math.Abs(float64(cell.ZVar)-1))
		}
		vs = append(vs, experiment.NewVerdict(4, fmt.Sprintf("Learned inhibition normalises activity after training (%s)", r.Label),
			fmt.Sprintf("worst-eps median abs(mean z) %.4f, abs(var z - 1) %.4f", worstM, worstV), "abs(mean) < 0.05, abs(var-1) < 0.1", worstM < 0.05 && worstV < 0.1))
	}
	return vs
}

func judgeInferenceOnly(c *Comparison) []experiment.Verdict {
	p := c.pairRow("inorm", "e_ln")
	if p == nil {
		return nil
	}
	var ms []string
	ok := true
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %.2f: better in %d/%d, %+.2f", cell.Eps, cell.AWins, cell.N, cell.MeanDiff))
		ok = ok && cell.AWins == 0
	}
	var cos []string
	for _, cell := range c.row("inorm").Cells {
		cos = append(cos, fmtNum(cell.Cosine, 2))
	}
	return one(experiment.NewVerdict(5, "Inference-only normalisation does not help: worse than LN+ in every configuration",
		strings.Join(ms, "; ")+fmt.Sprintf("; gradient cosine (median over layers) %s (study: 0.1-0.3)", strings.Join(cos, ", ")),
		"better in 0 configurations at every eps", ok))
}

func judgeGradNorm(c *Comparison) []experiment.Verdict {
	p := c.pairRow("inorm_full", "e_ln")
	if p == nil {
		return nil
	}
	minCos := math.Inf(1)
	chance := 0
	for _, cell := range c.row("inorm_full").Cells {
		minCos = math.Min(minCos, float64(cell.Cosine))
		chance += cell.AtChance
	}
	var ms []string
	ok := minCos >= 0.96 && chance == 0
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %.2f: %+.2f (better in %d/%d, p %s)", cell.Eps, cell.MeanDiff, cell.AWins, cell.N, fmtP(cell.MWUp)))
		ok = ok && cell.MeanDiff >= -0.25
	}
	return one(experiment.NewVerdict(6, "Error normalisation rescues learning: GradNorm >= E-only LN+, aligned with exact LN, no divergence",
		fmt.Sprintf("min gradient cosine %.3f; runs at chance %d; %s", minCos, chance, strings.Join(ms, "; ")),
		"cosine >= 0.96, no run at chance, mean paired difference >= -0.25 points", ok))
}

func judgeCentring(c *Comparison) []experiment.Verdict {
	p := c.pairRow("inorm_center", "ei_ln")
	if p == nil {
		return one(experiment.NotApplicable(7, "Centring is the essential part", "needs inorm_center (paper scale)"))
	}
	ok := true
	var ms []string
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %.2f: p %s", cell.Eps, fmtP(cell.MWUp)))
		ok = ok && float64(cell.MWUp) > 0.25
	}
	for _, other := range []string{"inorm_scale", "inorm_decorrelate"} {
		if q := c.pairRow(other, "ei_ln"); q != nil {
			for _, cell := range q.Cells {
				ms = append(ms, fmt.Sprintf("%s eps %.2f: %+.2f", other, cell.Eps, cell.MeanDiff))
				ok = ok && cell.MeanDiff < 0
			}
		}
	}
	return one(experiment.NewVerdict(7, "Centring is the essential part: center ~ LN+, scale-only and decorrelate-only worse", strings.Join(ms, "; "),
		"center vs LN+ p > 0.25; scale, decorrelate below LN+", ok))
}

func judgeLateral(c *Comparison) []experiment.Verdict {
	p := c.pairRow("inorm_fa_center", "ei_ln")
	if p == nil {
		return one(experiment.NotApplicable(8, "Lateral-inhibition centring ~ LN+", "needs inorm_fa_center (paper scale)"))
	}
	ok := true
	var ms []string
	for _, cell := range p.Cells {
		ms = append(ms, fmt.Sprintf("eps %.2f: p %s", cell.Eps, fmtP(cell.MWUp)))
		ok = ok && float64(cell.MWUp) > 0.4
	}
	return one(experiment.NewVerdict(8, "Lateral-inhibition centring is indistinguishable from LN+", strings.Join(ms, "; "), "p > 0.4", ok))
}
