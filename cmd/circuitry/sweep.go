package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/sweep"
	"github.com/spf13/cobra"
)

func sweepCmd(g *globals) *cobra.Command {
	var workers, point int
	var sets []string
	var slurm, submit, force bool
	cmd := &cobra.Command{
		Use:   "sweep SPEC",
		Short: "Run a grid of single-run configs locally, or write (and submit) a Slurm job array for it",
		Long: "sweep expands SPEC (base config, grid of keys, seeds) into points. Locally it runs them with\n" +
			"--workers in parallel, skipping finished points and resuming interrupted ones. With --slurm it\n" +
			"writes SWEEP_DIR/slurm.sh, a job array with one task per point (--submit runs sbatch on it).\n" +
			"`circuitry report SWEEP_DIR` merges finished points.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("workers") && (workers < 1 || workers > experiment.MaxWorkers) {
				return fmt.Errorf("--workers %d: want 1 to %d", workers, experiment.MaxWorkers)
			}
			spec, pts, err := sweep.Load(args[0], sets...)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			st := sweep.New(spec, pts, workers)
			env := experiment.Env{DataDir: g.dataDir, Force: force, Log: errw, Progress: experiment.NewProgress(errw, 10*time.Second)}
			switch {
			case cmd.Flags().Changed("point"):
				return experiment.RunStudyPoint(cmd.Context(), st, point, env)
			case slurm:
				return writeSlurm(cmd, spec, pts, args[0], g.dataDir, submit)
			}
			rep, err := experiment.RunStudy(cmd.Context(), st, env)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a key of the base config for every point, e.g. --set train.epochs=5 (repeatable; not a swept key)")
	cmd.Flags().IntVar(&workers, "workers", 0, "points run in parallel (default: the spec's workers, or one per core)")
	cmd.Flags().IntVar(&point, "point", 0, "run only this point (what each Slurm array task does)")
	cmd.Flags().BoolVar(&slurm, "slurm", false, "write SWEEP_DIR/slurm.sh, a Slurm job array with one task per point")
	cmd.Flags().BoolVar(&submit, "submit", false, "with --slurm: submit the script with sbatch")
	cmd.Flags().BoolVar(&force, "force", false, "retrain points whose directories hold results of another config (only the files circuitry wrote there are removed)")
	return cmd
}

func writeSlurm(cmd *cobra.Command, spec *sweep.Spec, pts []sweep.Point, specPath, dataDir string, submit bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(specPath)
	if err != nil {
		return err
	}
	if err := sweep.WritePointsIndex(spec, pts); err != nil {
		return err
	}
	script := filepath.Join(spec.Dir(), "slurm.sh")
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := spec.SlurmArray(pts, exe, abs, wd, dataDir).Write(script); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d array tasks)\n", script, len(pts))
	if !submit {
		return nil
	}
	id, err := sbatch(script)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "submitted job %s; merge results with: circuitry report %s\n", id, spec.Dir())
	return nil
}

func reportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report SWEEP_DIR",
		Short: "Merge a sweep's finished runs into tables, a figure and report.html",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := sweep.ReportDir(args[0])
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
			return nil
		},
	}
}
