package main

import (
	"encoding/json"
	"fmt"

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
			"changed settings, e.g. --set quiescence.noise_factor=1 (temperature) or --set network.noise=gaussian\n" +
			"(noise-type mismatch). Results go to RUN_DIR/analyses/NAME.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := reactivation.AnalyzeRun(args[0], name, sets, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(r, "", "  ")
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a config key for the analysis (repeatable)")
	cmd.Flags().StringVar(&name, "name", "reanalysis", "name of the analysis directory under RUN_DIR/analyses")
	return cmd
}
