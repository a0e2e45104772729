package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
)

func resumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume RUN_DIR",
		Short: "Continue a stopped training run from its last checkpoint (bit-identical to an uninterrupted run)",
		Long: "resume continues a `train` run, or one point of a study, from checkpoints/checkpoint.bin.\n" +
			"Whole studies and sweeps resume by running the same command again: finished points are\n" +
			"skipped and interrupted ones continue from their checkpoints.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			errw := cmd.ErrOrStderr()
			progress := experiment.NewProgress(errw, 10*time.Second)
			data, err := experiment.ReadConfigFile(filepath.Join(args[0], "config.yaml"))
			if err != nil {
				return fmt.Errorf("%s: not a run directory (no config.yaml)", args[0])
			}
			if rec, err := experiment.ReadRecord(args[0]); err == nil && rec.Finished {
				return fmt.Errorf("%s: already finished; nothing to resume (re-running its study or config reuses it)", args[0])
			}
			if name := experiment.StudyOf(data); name != "" {
				kind, err := g.studies.Lookup(name)
				if err != nil {
					return fmt.Errorf("%s: %w", filepath.Join(args[0], "config.yaml"), err)
				}
				if kind.ResumePoint == nil {
					return fmt.Errorf("%s: a %s study point cannot be resumed alone; run the study again", args[0], name)
				}
				msg, err := kind.ResumePoint(cmd.Context(), args[0], experiment.Env{DataDir: g.dataDir, Progress: progress, Log: errw})
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), msg)
				return nil
			}
			sum, err := classify.Resume(cmd.Context(), args[0], classify.RunOptions{DataDir: g.dataDir, Log: errw, Progress: progress})
			if err != nil {
				return err
			}
			printSummary(cmd, sum)
			return nil
		},
	}
}
