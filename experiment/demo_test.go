package experiment

import "testing"

// At the demo scale nothing is judged: passes and fails read
// underpowered with their measurements, n/a stays, titles say why.
func TestNotJudged(t *testing.T) {
	sets := []VerdictSet{{Title: "checks", Verdicts: []Verdict{
		NewVerdict(1, "a", "0.9", "> 0.5", true), NewVerdict(2, "b", "0.1", "> 0.5", false),
		NotApplicable(3, "c", "needs x"), Underpowered(4, "d", "p 0.2", "p < 0.01")}}}
	got := NotJudged(sets)
	want := []string{"underpowered", "underpowered", "n/a", "underpowered"}
	for i, v := range got[0].Verdicts {
		if v.Result != want[i] || v.Measured != sets[0].Verdicts[i].Measured {
			t.Errorf("verdict %d: %+v", i+1, v)
		}
	}
	if got[0].Title == sets[0].Title || sets[0].Verdicts[0].Result != "pass" {
		t.Error("the title does not say demo scale, or the input was changed")
	}
}
