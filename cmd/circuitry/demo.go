package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/circuitry-lab/circuitry/configs"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
	"github.com/spf13/cobra"
)

func demoCmd(g *globals) *cobra.Command {
	f := &runFlags{force: true}
	var mlpOnly bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Train the quick-start MLP, then run both studies at demo scale (minutes) and show their measurements",
		Long: "demo trains the quick-start MLP on Fashion-MNIST with random luminosity and prints its test\n" +
			"accuracy, then runs both studies end to end at demo scale (study 1: 20 small runs on 10,000 training\n" +
			"images; study 2: the authors' uniform-noise experiment, 8 networks trained a few hundred steps) under OUT/demo and\n" +
			"prints a short summary: the MLP's accuracy, per study how many checks were measured (all reported\n" +
			"underpowered, since so small a run tests no claim: `circuitry reproduce STUDY` judges them at quick\n" +
			"scale), any network that did not learn, and where each verdict table and report is.\n" +
			"Re-running it reuses the finished study runs. --mlp stops after the MLP.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			data, err := configs.FS.ReadFile("demo.yaml")
			if err != nil {
				return err
			}
			cfg, err := classify.ParseConfig(data, f.sets)
			if err != nil {
				return fmt.Errorf("demo config: %w", err)
			}
			demoDir := filepath.Join(cfg.Out.Dir, "demo")
			if f.out != "" {
				demoDir = filepath.Join(f.out, "demo")
			}
			// The MLP gets its own run directory beside the studies'
			// (OUT/demo/mlp): --force clears only that one, so a second
			// demo reuses the finished study runs.
			cfg.Out.Dir, cfg.Name = demoDir, "mlp"
			mf := *f
			mf.out = ""
			if !mlpOnly {
				fmt.Fprintln(cmd.ErrOrStderr(), "demo: step 1 of 3: the quick-start MLP (then: study 1, study 2)")
			}
			if mlpOnly {
				return runClassifier(cmd, g, &mf, cfg)
			}
			// The MLP's own lines go with the progress (stderr): the
			// summary at the end repeats its accuracy.
			out := cmd.OutOrStdout()
			cmd.SetOut(cmd.ErrOrStderr())
			err = runClassifier(cmd, g, &mf, cfg)
			cmd.SetOut(out)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			o := experiment.ReproduceOptions{Scale: experiment.DemoScale, OutDir: demoDir, DataDir: g.dataDir,
				Log: errw, Progress: experiment.NewProgress(errw, 30*time.Second)}
			// Study 2's Gaussian experiment doubles its networks; the demo
			// runs the authors' (`reproduce` runs both).
			o.Skip = func(name string) bool { return strings.Contains(name, "-gaussian-") }
			var reps []*experiment.Reproduction
			for i, name := range demoStudies {
				fmt.Fprintf(errw, "demo: step %d of 3: %s at demo scale (then: %s)\n", i+2, name, []string{"study 2", "the summary"}[i])
				kind, err := g.studies.Lookup(name)
				if err != nil {
					return err
				}
				rep, err := experiment.Reproduce(cmd.Context(), kind, configs.FS, o)
				if err != nil {
					return err
				}
				reps = append(reps, rep)
			}
			return demoSummary(out, filepath.Join(demoDir, "mlp"), reps, time.Since(start))
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&mlpOnly, "mlp", false, "train only the quick-start MLP")
	return cmd
}

// demoStudies are the studies the demo runs, in order.
var demoStudies = []string{"inhibitory-normalization", "offline-reactivation"}

// demoSummary prints what the demo ran and where everything is, short
// enough to read at once; the verdict tables are in each study's
// verdicts.md.
func demoSummary(w io.Writer, mlpDir string, reps []*experiment.Reproduction, took time.Duration) error {
	sum, err := classify.LoadSummary(mlpDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\ncircuitry demo finished in %s\n\n", took.Round(time.Second))
	fmt.Fprintf(w, "quick-start MLP, %d epochs, luminosity shift ±%.2f: test accuracy %.2f%% (shifted), %.2f%% (unshifted)\n",
		sum.Epochs, sum.Luminosity, 100*sum.FinalTestAcc, 100*sum.CleanTestAcc)
	fmt.Fprintf(w, "  report: %s\n", filepath.Join(mlpDir, "report.html"))
	for i, rep := range reps {
		fmt.Fprintf(w, "\n%s, demo scale: %s — measured, not judged (a demo-scale run tests no claim);\n", demoStudies[i], experiment.Tally(rep.Sets))
		fmt.Fprintf(w, "  `circuitry reproduce %s` judges them at quick scale\n", demoStudies[i])
		for _, warn := range rep.Warnings {
			fmt.Fprintf(w, "  note: %s\n", warn)
		}
		for _, d := range rep.Dirs {
			fmt.Fprintf(w, "  verdicts: %s\n  report:   %s\n", filepath.Join(d, "verdicts.md"), filepath.Join(d, "report.html"))
		}
	}
	return nil
}
