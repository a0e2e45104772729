package experiment

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// ReproduceOptions are the settings of `circuitry reproduce`.
type ReproduceOptions struct {
	Scale     string   // quick | paper
	OutDir    string   // parent of the study directories; empty = the presets' (runs)
	DataDir   string   // Fashion-MNIST location (inhibitory normalisation)
	Overrides []string // --set, applied to every preset
	Force     bool     // retrain points whose directories hold another config
	// FinishedOnly trains nothing: studies whose every point has finished
	// training are judged (re-analysed where their analyses are out of
	// date), the others are reported as not run and their verdicts n/a.
	// For verdicts so far while a long reproduction is under way.
	FinishedOnly bool
	// Skip, when set, leaves out the studies it names (reported as not
	// run, their checks n/a): the demo skips study 2's second experiment.
	Skip     func(study string) bool
	Progress Progress
	Log      io.Writer
}

// Reproduction is what Reproduce found.
type Reproduction struct {
	Verdicts string   // Markdown: a title and the verdict table
	Dirs     []string // the study directories, each with verdicts.md and report.html
	Sets     []VerdictSet
	Warnings []string // from results that are Warners, e.g. networks that did not learn
}

// Sets is the overrides with --out first.
func (o ReproduceOptions) Sets() []string {
	if o.OutDir == "" {
		return o.Overrides
	}
	return append([]string{"out.dir=" + o.OutDir}, o.Overrides...)
}

// Env is the options' invocation settings.
func (o ReproduceOptions) Env() Env {
	return Env{DataDir: o.DataDir, Force: o.Force, Progress: o.Progress, Log: o.Log}
}

// PlanReproduction builds kind's plan at the options' scale.
func PlanReproduction(k Kind, presets fs.FS, o ReproduceOptions) (*Plan, error) {
	if !slices.Contains(k.Scales, o.Scale) {
		return nil, fmt.Errorf("--scale %q: %s has the scales %s", o.Scale, k.Name, strings.Join(k.Scales, ", "))
	}
	return k.Plan(presets, o.Scale, o.Sets())
}

// Reproduce runs a study's plan (every study, each resuming its finished
// points), judges each of the study's checks and writes verdicts.md and a
// report.html topped by the verdict table into each study directory.
func Reproduce(ctx context.Context, k Kind, presets fs.FS, o ReproduceOptions) (*Reproduction, error) {
	plan, err := PlanReproduction(k, presets, o)
	if err != nil {
		return nil, err
	}
	env := o.Env().withDefaults()
	results := make([]Result, len(plan.Studies))
	var dirs, notRun, skipped []string
	var ran []int // the index in plan.Studies of each of dirs
	for i, st := range plan.Studies {
		if o.Skip != nil && o.Skip(st.Name()) {
			skipped = append(skipped, st.Dir())
			continue
		}
		if o.FinishedOnly {
			n, err := untrained(st, env.Force)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				notRun = append(notRun, fmt.Sprintf("%s (%d points to train)", st.Dir(), n))
				continue
			}
		}
		if results[i], err = RunStudy(ctx, st, env); err != nil {
			return nil, err
		}
		dirs, ran = append(dirs, st.Dir()), append(ran, i)
	}
	sets, err := plan.Verdicts(ctx, results, env)
	if err != nil {
		return nil, err
	}
	for _, set := range sets { // in check order, as the study lists them
		slices.SortStableFunc(set.Verdicts, func(a, b Verdict) int { return a.Check - b.Check })
	}
	var warnings []string
	for _, r := range results {
		if w, ok := r.(Warner); ok {
			warnings = append(warnings, w.Warnings()...)
		}
	}
	md := fmt.Sprintf("# %s (%s scale): verdicts\n\nStudies: %s.\n", plan.Title, o.Scale, strings.Join(dirs, ", "))
	if len(skipped) > 0 {
		md += fmt.Sprintf("\nNot part of this run (their checks n/a): %s.\n", strings.Join(skipped, ", "))
	}
	if len(notRun) > 0 {
		md += fmt.Sprintf("\nNot finished, so not judged (their checks n/a): %s.\n", strings.Join(notRun, ", "))
	}
	if len(warnings) > 0 {
		md += "\nRead with care:\n"
		for _, w := range warnings {
			md += "- " + w + "\n"
		}
	}
	for _, set := range sets {
		md += "\n" + VerdictTable(set.Title, set.Verdicts)
	}
	for i, d := range dirs {
		if err := WriteVerdicts(d, md, sets, results[ran[i]].Markdown()); err != nil {
			return nil, err
		}
	}
	return &Reproduction{Verdicts: md, Dirs: dirs, Sets: sets, Warnings: warnings}, nil
}

// Tally counts verdicts by result, in a fixed order: "12 pass, 3 fail,
// 2 n/a".
func Tally(sets []VerdictSet) string {
	n := map[string]int{}
	for _, set := range sets {
		for _, v := range set.Verdicts {
			n[v.Result]++
		}
	}
	var parts []string
	for _, r := range []string{"pass", "fail", "inconclusive", "underpowered", "n/a"} {
		if n[r] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[r], r))
		}
	}
	return strings.Join(parts, ", ")
}

// untrained counts st's points that still need training (not finished,
// or never started); a refusal is an error.
func untrained(st Study, force bool) (int, error) {
	pts, err := st.Points()
	if err != nil {
		return 0, err
	}
	n := 0
	var refused []string
	for _, p := range pts {
		switch act, err := Inspect(p.Dir, p.Spec, p.Checkpoint, force); {
		case err != nil:
			refused = append(refused, err.Error())
		case act != Reuse && act != Reanalyse:
			n++
		}
	}
	return n, Refusals(refused)
}
