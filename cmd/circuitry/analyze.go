package main

import (
	"fmt"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/study/reactivation"
	"github.com/spf13/cobra"
)

func analyzeCmd() *cobra.Command {
	var sets []string
	var name string
	cmd := &cobra.Command{
		Use:   "analyze RUN_DIR",
		Short: "Re-run the offline (quiescence) analyses of a finished offline-reactivation run",
		Long: "analyze reloads a finished network's weights and repeats its quiescence analyses, optionally with\n" +
			"changed settings, e.g. --set quiescence.noise_factor=1 (temperature) or --set quiescence.noise=gaussian\n" +
			"(a train/sleep noise mismatch). Results go to RUN_DIR/analyses/NAME (summary.json holds every number).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := reactivation.AnalyzeRun(args[0], name, sets, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: decode err %.4f, KL(quiescent||waking) %.3f (untrained %.3f, uniform %.3f), quiescent variance %.4f, drift alignment %.3f\n%s\n",
				r.Condition, fmt.Sprintf("seed %d", r.Seed), float64(r.DecodeErr), float64(r.KL), float64(r.KLUntrained), float64(r.KLUniform),
				float64(r.Variance), float64(r.DriftAlignment), filepath.Join(r.Dir, "summary.json"))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a config key for the analysis (repeatable)")
	cmd.Flags().StringVar(&name, "name", "reanalysis", "name of the analysis directory under RUN_DIR/analyses")
	return cmd
}
