package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
)

func runCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run CONFIG",
		Short: "Run every point of a study config (skipping finished points, resuming interrupted ones), then write its report",
		Long: "run executes a study config (a file with a top-level `study:` key) point by point, in parallel,\n" +
			"skipping points finished with the same config and refusing ones that hold another (--force\n" +
			"retrains them), then writes the study's tables, figures and report.html.\n" +
			"A config without `study:` is a single run, as with `train`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readConfig(args[0], func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) })
			if err != nil {
				return err
			}
			name := experiment.StudyOf(data)
			if name == "" {
				cfg, err := classify.ParseConfig(data, f.sets)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				return runClassifier(cmd, g, f, cfg)
			}
			kind, err := g.studies.Lookup(name)
			if err != nil {
				return fmt.Errorf("%s: %w (or no study key for a single run)", args[0], err)
			}
			sets := f.sets
			if f.out != "" {
				sets = append([]string{"out.dir=" + f.out}, sets...)
			}
			st, err := kind.Parse(data, sets)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if f.dryRun {
				return dryRunStudies(cmd.OutOrStdout(), []experiment.Study{st}, f.force)
			}
			errw := cmd.ErrOrStderr()
			res, err := experiment.RunStudy(cmd.Context(), st, experiment.Env{DataDir: g.dataDir, Force: f.force,
				Progress: experiment.NewProgress(errw, 30*time.Second), Log: errw})
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), res.Markdown())
			fmt.Fprintf(cmd.OutOrStdout(), "\nresults in %s\n", st.Dir())
			return nil
		},
	}
	f.register(cmd)
	f.registerDryRun(cmd)
	return cmd
}
