package reactivation

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/configs"
	"github.com/circuitry-lab/circuitry/experiment"
)

func ms(v float64) analysis.MeanSD { return analysis.MeanSD{Mean: analysis.Float(v), N: 5} }

func findVerdict(t *testing.T, vs []experiment.Verdict, claim string) experiment.Verdict {
	t.Helper()
	for _, v := range vs {
		if strings.Contains(v.Claim, claim) {
			return v
		}
	}
	t.Fatalf("no verdict %q in %+v", claim, vs)
	return experiment.Verdict{}
}

// studyLike is a study whose every number is the study's: the reference
// run of the authors' code (decoded error 0.0033 m², KL 0.97 against the
// as-coded uniform 0.94 and the correct 0.15, variance 0.0061 m², PCA
// curves overlapping at ~0.95 by PC10), the KL calibration (cross-bias
// 2.5-3.5, one point 6.5), the biased ring (0.24-0.40 m) and the head
// direction drift (0.015 vs 0.18 awake, 0.0005 unbiased).
func studyLike() (sp, hd *Report, x Extras) {
	base := func(cond string) Row {
		return Row{Condition: cond, DecodeErr: ms(0.0033), UntrainedErr: ms(0.6), KLUntrained: ms(6.5), StepWake: ms(0.0197),
			DriftAlignment: ms(0.1), DriftWeighted: ms(0.2), PCA10Wake: ms(0.95), PCA10Quiet: ms(0.94), PCAGap: ms(0.03)}
	}
	u := base("noisy")
	u.KL, u.KLUniform, u.KLUniformCoded, u.StepQuiet, u.Variance, u.AnchorWake, u.AnchorQuiet = ms(0.97), ms(0.15), ms(0.94), ms(0.012), ms(0.0061), ms(0.84), ms(0.8)
	// Nulls (not in the paper; KL calibration of docs/science/offline-reactivation.md: frozen
	// at the starts 0.18; a walk that fills the box ~ the uniform's 0.15; on
	// the biased ring a density-blind walk spreads toward the box's).
	u.KLNullFrozen, u.KLNullDiffusion = ms(0.18), ms(0.16)
	b := base("noisy_biased")
	b.KL, b.KLUniform, b.KLUniformCoded, b.StepQuiet, b.Variance = ms(0.5), ms(3), ms(3.8), ms(0.01), ms(0.004)
	b.KLNullFrozen, b.KLNullDiffusion = ms(0.18), ms(2)
	b.AnchorWake, b.AnchorWakeP10, b.AnchorWakeP90, b.AnchorQuiet = ms(0.325), ms(0.24), ms(0.40), ms(0.33)
	n := base("nonoise")
	n.KL, n.StepQuiet, n.StepNoiseAdded, n.Variance = ms(3), ms(0.001), ms(0.1), ms(0.0001)
	nb := base("nonoise_biased")
	nb.KL, nb.StepQuiet, nb.StepNoiseAdded, nb.Variance = ms(4), ms(0.001), ms(0.1), ms(0.0001)
	m := &KLMatrix{Waking: []string{"noisy", "noisy_biased"}, Quiescent: []string{"noisy", "noisy_biased", colUntrained}, Seeds: 5,
		Mean: [][]analysis.Float{{0.97, 2.5, 6.5}, {3.5, 0.5, 6.5}}}
	sp = &Report{Task: "spatial", Rows: []Row{u, b, n, nb}, KL: m, Box: 2.2, Generator: &GeneratorStats{MeanStep: 0.0197, WallRate: 0.048}}
	hu, hb, hn := base("noisy"), base("noisy_biased"), base("nonoise")
	// Head direction: waking headings cover the circle whatever the bias
	// (a frozen network scored 0.012 and i.i.d. headings 0.000 in a probe
	// of circuitry's networks), so the KL row cannot separate.
	hu.KL, hu.KLUntrained, hu.KLUniform, hu.SignedQuiet, hu.StepWake, hu.StepQuiet = ms(0.02), ms(1.0), ms(0.001), ms(0.0005), ms(0.18), ms(0.015)
	hb.KL, hb.KLUntrained, hb.SignedWake, hb.SignedQuiet, hb.KLUniform = ms(0.02), ms(1.0), ms(0.18), ms(0.015), ms(0.001)
	hu.KLNullFrozen, hb.KLNullFrozen, hu.KLNullDiffusion, hb.KLNullDiffusion = ms(0.012), ms(0.012), ms(0.002), ms(0.002)
	hn.KL = ms(0.6)
	hd = &Report{Task: "headdir", Rows: []Row{hu, hb, hn}}
	x1 := ms(0.99)
	return sp, hd, Extras{KLNoiseX1: &x1, NoiseMatch: &NoiseMatch{Waking: 0.84, Matched: 0.8, Mismatched: 1.2}}
}

// unbiasedKLRows are the rows the study's own unbiased networks fail when
// the uniform control has its correct density: the authors' reference run
// (KL 0.97) is "as close as the uniform reference" only against the
// uniform as their code computed it (0.94, ln 2.2 too high); the correct
// uniform scores 0.15, and so does any process that fills the box, so
// 0.97 is a large entry next to them.
var unbiasedKLRows = []string{"reactivate the waking distribution (noisy): quiescent states closer", "(noisy, quiescent noise x1)", "(gru_noisy): quiescent states closer"}

// The study's own numbers pass every check (GRU rows aside: not in the
// fixture, so n/a) but the unbiased KL rows, which fail as the authors'
// own reference run does (unbiasedKLRows).
func TestStudyLikeNumbersPass(t *testing.T) {
	sp, hd, x := studyLike()
	for _, v := range Verdicts(sp, hd, x) {
		if slices.ContainsFunc(unbiasedKLRows, func(s string) bool { return strings.Contains(v.Claim, s) }) {
			if v.Result != "fail" {
				t.Errorf("%s: %s (%s), want fail (the uniform control with its correct density is closer)", v.Result, v.Claim, v.Measured)
			}
			continue
		}
		if strings.Contains(v.Claim, "Head direction: quiescent headings cover") {
			if v.Result != "inconclusive" {
				t.Errorf("%s: %s (%s), want inconclusive (uniform waking headings)", v.Result, v.Claim, v.Measured)
			}
			continue
		}
		if v.Result == "fail" || (v.Result == "n/a" && !strings.Contains(v.Claim, "GRU")) {
			t.Errorf("%s: %s (%s; bar %s)", v.Result, v.Claim, v.Measured, v.Threshold)
		}
	}
}

// Each network that does not reproduce the study fails the check that
// names its defect.
func TestAdversarialNumbersFail(t *testing.T) {
	cases := []struct {
		name, claim string
		degrade     func(sp, hd *Report, x *Extras)
	}{
		{"quiescent activity diffusing evenly over the box", "Quiescent variance on the study's scale, noisy > noiseless (noisy)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").Variance = ms(0.4) }},
		{"noisy network frozen at sleep", "Quiescent variance on the study's scale, noisy > noiseless (noisy)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").Variance = ms(0) }},
		{"biased network collapsed onto a 0.1 m blob at the anchor", "on the waking ring",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy_biased").AnchorQuiet = ms(0.1) }},
		{"biased network spread over the box", "on the waking ring",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy_biased").AnchorQuiet = ms(0.75) }},
		{"head-direction sleep frozen", "keep moving",
			func(_, hd *Report, _ *Extras) { hd.Row("noisy").StepQuiet = ms(0) }},
		{"head-direction sleep turning at the waking rate", "keep moving",
			func(_, hd *Report, _ *Extras) { hd.Row("noisy").StepQuiet = ms(0.2) }},
		{"biased network no closer to its ring than a density-blind walk", "reactivate the waking distribution (noisy_biased)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy_biased").KLNullDiffusion = ms(0.45) }},
		{"head-direction biased network turning at its waking rate", "much slower",
			func(_, hd *Report, _ *Extras) { hd.Row("noisy_biased").SignedQuiet = ms(0.18) }},
		{"head-direction biased network turning the other way", "much slower",
			func(_, hd *Report, _ *Extras) { hd.Row("noisy_biased").SignedQuiet = ms(-0.015) }},
		// At the spatial noise scale an untrained network's HD sleep had KL 0.87.
		{"head-direction KL at the untrained level", "cover the waking distribution (noisy)",
			func(_, hd *Report, _ *Extras) { hd.Row("noisy").KL = ms(0.87) }},
		{"head-direction sleep stuck on half the circle", "cover the waking distribution (noisy)",
			func(_, hd *Report, _ *Extras) { hd.Row("noisy").KL = ms(0.69) }},
		{"noisy network below the decoding floor", "Quiescent variance on the study's scale, noisy > noiseless (noisy)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").Variance = ms(0.001) }},
		{"generator with a faster animal", "Generator statistics",
			func(sp, _ *Report, _ *Extras) { sp.Generator.MeanStep = 0.023 }},
		{"no block structure: cross-bias entry as small as the same-bias one", "KL matrix: same-bias entry small, cross-bias and untrained entries large (noisy)",
			func(sp, _ *Report, _ *Extras) { sp.KL.Mean[1][0] = 1.2 }},
		{"unbiased KL well above the uniform reference", "reactivate the waking distribution (noisy)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").KL = ms(1.5) }},
		{"waking and quiescent PCA curves apart", "PCA curve (spatial",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").PCA10Quiet, sp.Row("noisy").PCAGap = ms(0.6), ms(0.35) }},
		{"drift away from the waking density", "Denoising: noise-free drift points up the waking density (noisy)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").DriftAlignment = ms(-0.05) }},
		{"uniform-trained network unmoved by zero-mean sleep noise", "Noise type must match",
			func(_, _ *Report, x *Extras) { x.NoiseMatch.Mismatched = 0.85 }},
		{"reactivation lost at noise x1", "quiescent noise x1",
			func(_, _ *Report, x *Extras) { k := ms(4.0); x.KLNoiseX1 = &k }},
		{"networks that do not path-integrate", "path-integrate (spatial)",
			func(sp, _ *Report, _ *Extras) { sp.Row("noisy").DecodeErr = ms(0.3) }},
	}
	for _, c := range cases {
		sp, hd, x := studyLike()
		c.degrade(sp, hd, &x)
		if v := findVerdict(t, Verdicts(sp, hd, x), c.claim); v.Result != "fail" {
			t.Errorf("%s: %q is %s (%s; bar %s), want fail", c.name, v.Claim, v.Result, v.Measured, v.Threshold)
		}
	}
	// A bar of circuitry's own cannot fail a reproduction: a miss is
	// inconclusive, never a pass.
	sp, hd, x := studyLike()
	sp.Row("nonoise").StepNoiseAdded = ms(0.002)
	if v := findVerdict(t, Verdicts(sp, hd, x), "erratic steps (nonoise)"); v.Result != "inconclusive" {
		t.Errorf("no-noise network frozen even with noise added: %s, want inconclusive", v.Result)
	}
}

func TestGRUVerdicts(t *testing.T) {
	sp, hd, x := studyLike()
	g := *sp.Row("noisy_biased")
	g.Condition = "gru_noisy_biased"
	sp.Rows = append(sp.Rows, g)
	if v := findVerdict(t, Verdicts(sp, hd, x), "GRUs (gru_noisy_biased)"); v.Result != "pass" {
		t.Fatalf("study-like GRU: %+v", v)
	}
	sp.Row("gru_noisy_biased").KL = ms(5)
	if v := findVerdict(t, Verdicts(sp, hd, x), "GRUs (gru_noisy_biased)"); v.Result != "fail" {
		t.Fatalf("GRU at the untrained level: %+v", v)
	}
}

// At quick scale the GRUs are a separate study (Extras.GRU): its rows are
// judged by the same bar when the spatial study has none, also when the
// spatial study has not finished; without either, check 6 says n/a.
func TestGRUVerdictsFromSeparateStudy(t *testing.T) {
	sp, hd, x := studyLike()
	g := *sp.Row("noisy_biased")
	g.Condition = "gru_noisy_biased"
	x.GRU = &Report{Rows: []Row{g}}
	if v := findVerdict(t, Verdicts(sp, hd, x), "GRUs (gru_noisy_biased)"); v.Result != "pass" {
		t.Fatalf("study-like GRU study: %+v", v)
	}
	if v := findVerdict(t, Verdicts(nil, hd, x), "GRUs (gru_noisy_biased)"); v.Result != "pass" {
		t.Fatalf("GRU study judged without the spatial study: %+v", v)
	}
	x.GRU.Rows[0].KL = ms(5) // above the uniform control (3): not reactivation
	if v := findVerdict(t, Verdicts(sp, hd, x), "GRUs (gru_noisy_biased)"); v.Result != "fail" {
		t.Fatalf("GRU study at the controls' level: %+v", v)
	}
	x.GRU = nil
	if v := findVerdict(t, Verdicts(sp, hd, x), "Reactivation persists with GRUs"); v.Result != "n/a" {
		t.Fatalf("no GRU anywhere: %+v", v)
	}
}

// Without the uniform-trained network (the Gaussian experiment) check 8
// is n/a, saying why.
func TestNoiseTypeNotApplicableInGaussianExperiment(t *testing.T) {
	sp, hd, x := studyLike()
	x.NoiseMatch = nil
	if v := findVerdict(t, Verdicts(sp, hd, x), "Noise type"); v.Result != "n/a" || !strings.Contains(v.Measured, "uniform experiment") {
		t.Fatalf("%+v", v)
	}
}

// The quick scale's uniform experiment has a separate GRU study (its GRU
// conditions only); the Gaussian experiment and the demo and paper scales
// have none (at paper scale the spatial preset holds the GRUs); a --set
// conditions=[...] naming no GRU condition drops it.
func TestPresetsGRUStudy(t *testing.T) {
	for _, c := range []struct {
		scale string
		sets  []string
		want  []string // the uniform experiment's GRU conditions; nil: no GRU study
	}{
		{"quick", nil, []string{"gru_noisy", "gru_noisy_biased"}},
		{"quick", []string{"conditions=[noisy, gru_noisy]"}, []string{"gru_noisy"}},
		{"quick", []string{"conditions=[noisy]"}, nil},
		{"paper", nil, nil},
		{experiment.DemoScale, nil, nil},
	} {
		xs, err := Presets(configs.FS, c.scale, c.sets)
		if err != nil {
			t.Fatalf("%s %v: %v", c.scale, c.sets, err)
		}
		var got []string
		if xs[0].GRU != nil {
			got = xs[0].GRU.Conditions
		}
		if !slices.Equal(got, c.want) || xs[1].GRU != nil {
			t.Errorf("%s %v: GRU study conditions %v (Gaussian experiment's %v), want %v", c.scale, c.sets, got, xs[1].GRU, c.want)
		}
	}
	if xs, _ := Presets(configs.FS, "paper", nil); !slices.Contains(xs[0].Spatial.Conditions, "gru_noisy") {
		t.Error("the paper spatial preset lost its GRU conditions")
	}
}

// Over five seeds a clause holds in 4 of them, fails when 2 fail, and is
// inconclusive between; one seed decides alone; n/a and underpowered seeds
// are not counted.
func TestAcrossSeeds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"pass pass pass pass fail", "pass"},
		{"pass pass pass fail fail", "fail"},
		{"pass pass pass inconclusive fail", "inconclusive"},
		{"pass pass pass inconclusive inconclusive", "inconclusive"},
		{"fail", "fail"},
		{"pass", "pass"},
		{"pass pass n/a underpowered", "pass"},
		{"n/a n/a", ""},
	} {
		if got, _, _ := acrossSeeds(strings.Fields(c.in)); got != c.want {
			t.Errorf("%s: %q, want %q", c.in, got, c.want)
		}
	}
	vs, err := VerdictsOverSeeds(nil, nil, Extras{})
	if err != nil || len(vs) != len(Verdicts(nil, nil, Extras{})) {
		t.Fatalf("no reports: %v, %d verdicts", err, len(vs))
	}
}

// The verdict table lists the checks in the study's order.
func TestChecksInOrder(t *testing.T) {
	for i := 1; i < len(Checks); i++ {
		if Checks[i].N < Checks[i-1].N {
			t.Errorf("check %d (%s) after check %d", Checks[i].N, Checks[i].Name, Checks[i-1].N)
		}
	}
}

// A KL estimate a hair below zero prints as ≈0 with the estimate; others
// as they are (a clearly negative one would be a bug worth seeing).
func TestKLCell(t *testing.T) {
	if got := klCell(analysis.MeanSD{Mean: -5.9e-05, N: 1}); !strings.HasPrefix(got, "≈0 (") {
		t.Errorf("tiny negative: %q", got)
	}
	for _, v := range []float64{0.25, -0.5} {
		m := analysis.MeanSD{Mean: analysis.Float(v), N: 1}
		if got := klCell(m); got != m.String() {
			t.Errorf("%g: %q", v, got)
		}
	}
}

// A network whose decoding error is not below half the untrained one's is
// flagged; a trained one is not; a non-finite error is flagged.
func TestWarningsFlagNetworksThatDidNotLearn(t *testing.T) {
	rep := &Report{Study: "s", results: []*Result{
		{Condition: "noisy", Seed: 0, DecodeErr: 0.457, UntrainedErr: 0.687},
		{Condition: "noisy_biased", Seed: 0, DecodeErr: 0.004, UntrainedErr: 0.6},
		{Condition: "nonoise", Seed: 1, DecodeErr: analysis.Float(math.NaN()), UntrainedErr: 0.6},
	}}
	w := rep.Warnings()
	if len(w) != 2 || !strings.HasPrefix(w[0], "s/noisy_s0 did not learn (decoding error 0.457, untrained 0.687)") || !strings.HasPrefix(w[1], "s/nonoise_s1") {
		t.Errorf("warnings: %q", w)
	}
}

// Check 1 reports the worst network of any seed, not the worst mean over
// seeds (one badly trained seed hides in a mean), and a NaN ratio fails.
func TestPathIntegrationNamesTheWorstNetwork(t *testing.T) {
	rep := &Report{Task: "headdir", results: []*Result{
		{Condition: "noisy", Seed: 0, DecodeErr: 0.005, UntrainedErr: 0.5},
		{Condition: "noisy", Seed: 1, DecodeErr: 0.04, UntrainedErr: 0.5},
		{Condition: "nonoise", Seed: 0, DecodeErr: 0.02, UntrainedErr: 0.5},
		{Condition: "nonoise", Seed: 1, DecodeErr: 0.02, UntrainedErr: 0.5},
	}}
	rep.Rows = []Row{{Condition: "noisy", DecodeErr: ms(0.0225), UntrainedErr: ms(0.5)}, {Condition: "nonoise", DecodeErr: ms(0.02), UntrainedErr: ms(0.5)}}
	v := findVerdict(t, judgePathIntegration(Findings{HeadDir: rep}), "path-integrate")
	if v.Result != "pass" || !strings.Contains(v.Measured, "ratio 0.080 (noisy_s1)") {
		t.Errorf("%s: %s, want pass with ratio 0.080 (noisy_s1)", v.Result, v.Measured)
	}
	rep.results[0].DecodeErr = analysis.Float(math.NaN())
	if v := findVerdict(t, judgePathIntegration(Findings{HeadDir: rep}), "path-integrate"); v.Result != "fail" || !strings.Contains(v.Measured, "(noisy_s0)") {
		t.Errorf("a NaN decoding error: %s: %s, want fail naming noisy_s0", v.Result, v.Measured)
	}
	rep.results = nil // rows only: their means
	if v := findVerdict(t, judgePathIntegration(Findings{HeadDir: rep}), "path-integrate"); !strings.Contains(v.Measured, "ratio 0.045 (noisy)") {
		t.Errorf("rows only: %s", v.Measured)
	}
}
