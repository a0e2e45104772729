package reactivation

import (
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
)

func ms(v float64) analysis.MeanSD { return analysis.MeanSD{Mean: analysis.Float(v), N: 1} }

// row is a spatial condition with the given KL figures; everything else
// is a healthy trained network.
func row(cond string, kl, untrained, uniform float64) Row {
	return Row{Condition: cond, DecodeErr: ms(0.01), UntrainedErr: ms(0.6), KL: ms(kl), KLUntrained: ms(untrained), KLUniform: ms(uniform),
		StepWake: ms(0.02), StepQuiet: ms(0.01), AnchorQuiet: ms(0.8), DriftAlignment: ms(-0.05), DriftWeighted: ms(0.2)}
}

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

func TestReactivationKLVerdicts(t *testing.T) {
	cases := []struct {
		name                     string
		kl, untrained, uniform   float64
		unbiasedWant, biasedWant string
	}{
		{"well below both controls", 0.1, 0.8, 0.5, "pass", "pass"},
		// Unbiased waking ~ uniform: within 10% of the uniform control passes
		// for the unbiased condition only.
		{"about as close as uniform", 0.150, 0.8, 0.145, "pass", "fail"},
		{"clearly above uniform", 0.2, 0.8, 0.145, "fail", "fail"},
		{"above the untrained control", 0.9, 0.8, 1.0, "fail", "fail"},
	}
	for _, c := range cases {
		sp := &Report{Task: "spatial", Rows: []Row{
			row("noisy", c.kl, c.untrained, c.uniform), row("noisy_biased", c.kl, c.untrained, c.uniform)}}
		vs := Verdicts(sp, nil, Extras{})
		if got := findVerdict(t, vs, "(noisy):").Result; got != c.unbiasedWant {
			t.Errorf("%s: unbiased verdict %s, want %s", c.name, got, c.unbiasedWant)
		}
		if got := findVerdict(t, vs, "(noisy_biased):").Result; got != c.biasedWant {
			t.Errorf("%s: biased verdict %s, want %s", c.name, got, c.biasedWant)
		}
	}
}

func TestReactivationVerdictsOtherChecks(t *testing.T) {
	u, b := row("noisy", 0.1, 0.8, 0.5), row("noisy_biased", 0.3, 0.8, 2)
	b.AnchorQuiet = ms(0.3)
	n := row("nonoise", 0.05, 0.8, 0.5) // smaller KL than noisy but frozen: steps 1/10 of waking
	n.StepQuiet, n.StepNoiseAdded = ms(0.002), ms(0.3)
	sp := &Report{Task: "spatial", Rows: []Row{u, b, n}}
	hu, hb := row("noisy", 0.1, 1, 0.3), row("noisy_biased", 0.2, 1, 0.3)
	hu.SignedQuiet, hb.SignedQuiet = ms(0.001), ms(0.015)
	hn := row("nonoise", 0.15, 1, 0.3)
	hd := &Report{Task: "headdir", Rows: []Row{hu, hb, hn}}
	x1 := 0.2
	extras := Extras{KLNoiseX1: &x1, NoiseMatch: &NoiseMatch{Waking: 0.85, Matched: 0.8, Mismatched: 1.3}}
	vs := Verdicts(sp, hd, extras)
	for _, c := range []struct{ claim, want string }{
		{"path-integrate (spatial)", "pass"},
		{"near the anchor", "pass"},
		{"No-noise networks stay put or drift off-manifold (nonoise)", "pass"},
		{"erratic steps (nonoise)", "pass"},
		{"keep turning one way", "pass"},
		{"no-noise ones do not (noisy)", "pass"},
		{"noise x1", "pass"},
		{"Denoising", "pass"},
		{"Noise type must match", "pass"},
	} {
		if got := findVerdict(t, vs, c.claim).Result; got != c.want {
			t.Errorf("%s: %s, want %s", c.claim, got, c.want)
		}
	}
	// No-noise networks that wander like the noisy one, and whose steps
	// with noise added stay waking-sized, fail check 3.
	n.StepQuiet, n.StepNoiseAdded = ms(0.01), ms(0.04)
	sp.Rows[2] = n
	vs = Verdicts(sp, hd, extras)
	for _, claim := range []string{"stay put or drift off-manifold (nonoise)", "erratic steps (nonoise)"} {
		if got := findVerdict(t, vs, claim).Result; got != "fail" {
			t.Errorf("%s: %s, want fail", claim, got)
		}
	}
	// GRU rows get the persistence verdict; without them it is n/a.
	if got := findVerdict(t, vs, "persists with GRUs").Result; got != "n/a" {
		t.Errorf("no GRU rows: %s, want n/a", got)
	}
	withGRU := &Report{Task: "spatial", Rows: append(append([]Row{}, sp.Rows...), row("gru_noisy", 0.3, 0.8, 0.2), row("gru_noisy_biased", 0.9, 0.8, 5))}
	gvs := Verdicts(withGRU, hd, extras)
	if got := findVerdict(t, gvs, "persists with GRUs (gru_noisy)").Result; got != "pass" {
		t.Errorf("GRU KL 0.3 vs untrained 0.8: %s, want pass", got)
	}
	if got := findVerdict(t, gvs, "persists with GRUs (gru_noisy_biased)").Result; got != "fail" {
		t.Errorf("biased GRU KL 0.9 vs untrained 0.8: %s, want fail", got)
	}
	// Gaussian sleep staying where uniform sleep does fails check 8.
	extras.NoiseMatch.Mismatched = 0.9
	if got := findVerdict(t, Verdicts(sp, hd, extras), "Noise type must match").Result; got != "fail" {
		t.Errorf("Gaussian sleep 0.9 m vs uniform 0.8 m: %s, want fail", got)
	}
	if got := findVerdict(t, Verdicts(sp, hd, Extras{}), "Noise type").Result; got != "n/a" {
		t.Errorf("no uniform-noise network: %s, want n/a", got)
	}
	// A no-noise network whose headings spread as evenly as the noisy
	// one's fails the head-direction comparison.
	hd.Rows[2].KL = ms(0.05)
	if got := findVerdict(t, Verdicts(sp, hd, extras), "no-noise ones do not (noisy)").Result; got != "fail" {
		t.Errorf("HD no-noise KL 0.05 vs noisy 0.1: %s, want fail", got)
	}
	// The biased network turning barely more than the unbiased one fails.
	hb.SignedQuiet = ms(0.004)
	hd.Rows[1] = hb
	if got := findVerdict(t, Verdicts(sp, hd, Extras{}), "keep turning one way").Result; got != "fail" {
		t.Errorf("biased 0.004 vs unbiased 0.001 rad: %s, want fail", got)
	}
}

// Every verdict cell must be free of "|", which would split the table.
func TestVerdictCellsHaveNoPipes(t *testing.T) {
	u, b := row("noisy", 0.1, 0.8, 0.5), row("noisy_biased", 0.3, 0.8, 2)
	sp := &Report{Task: "spatial", Rows: []Row{u, b, row("nonoise", 0.2, 0.8, 0.5)}}
	hd := &Report{Task: "headdir", Rows: []Row{u, b}}
	x1 := 0.2
	extras := Extras{KLNoiseX1: &x1, NoiseMatch: &NoiseMatch{Waking: 0.85, Matched: 0.8, Mismatched: 1.3}}
	for _, v := range Verdicts(sp, hd, extras) {
		for _, cell := range []string{v.Claim, v.Measured, v.Threshold} {
			if strings.Contains(cell, "|") {
				t.Errorf("check %d: cell %q contains a pipe", v.Check, cell)
			}
		}
	}
}
