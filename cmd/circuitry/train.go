package main

import (
	"context"
	"fmt"
	"time"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
	"github.com/spf13/cobra"
)

type runFlags struct {
	sets   []string
	force  bool
	out    string
	dryRun bool // registered by the commands that train (registerDryRun)
}

func (f *runFlags) registerDryRun(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, dryRunHelp)
}

func (f *runFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.sets, "set", nil, "override a config key, e.g. --set train.lr=0.01 (repeatable)")
	cmd.Flags().BoolVar(&f.force, "force", f.force, "retrain runs whose directories hold results of another config (only the files circuitry wrote there are removed)")
	cmd.Flags().StringVar(&f.out, "out", "", "parent directory for the run (default: the config's out.dir)")
}

func trainCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "train CONFIG",
		Short: "Train the network a YAML config describes and write its run directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readConfig(args[0], func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) })
			if err != nil {
				return err
			}
			if name := experiment.StudyOf(data); name != "" {
				return fmt.Errorf("%s is a study config (study: %s), not a single run: run it with `circuitry run %s` or `circuitry reproduce %s`", args[0], name, args[0], name)
			}
			cfg, err := classify.ParseConfig(data, f.sets)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return runClassifier(cmd, g, f, cfg)
		},
	}
	f.register(cmd)
	f.registerDryRun(cmd)
	return cmd
}

func runClassifier(cmd *cobra.Command, g *globals, f *runFlags, cfg classify.Config) error {
	if f.out != "" {
		cfg.Out.Dir = f.out
	}
	if f.dryRun {
		return dryRunClassifier(cmd.OutOrStdout(), cfg, f.force)
	}
	errw := cmd.ErrOrStderr()
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	sum, err := classify.Train(ctx, cfg, classify.RunOptions{
		DataDir: g.dataDir, Force: f.force, Log: errw,
		Progress: experiment.NewProgress(errw, 10*time.Second),
	})
	if err != nil {
		return err
	}
	printSummary(cmd, sum)
	return nil
}

func printSummary(cmd *cobra.Command, sum *classify.Summary) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "data: %s (%d train / %d test images, luminosity shift ±%.2f)\n", sum.Data, sum.TrainImages, sum.TestImages, sum.Luminosity)
	fmt.Fprintf(out, "test accuracy after %d epochs: %.2f%% (shifted test set), %.2f%% (unshifted)\n", sum.Epochs, 100*sum.FinalTestAcc, 100*sum.CleanTestAcc)
	fmt.Fprintf(out, "%.1f s per epoch, %.1f s in all; results in %s\n", sum.EpochSeconds, sum.TotalSeconds, sum.RunDir)
}
