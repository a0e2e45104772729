package main

import (
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/task/images"
	"github.com/spf13/cobra"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

// globals are the settings every command shares.
type globals struct {
	dataDir string               // --data
	studies *experiment.Registry // the studies `run`, `reproduce` and `resume` know
}

func newRoot(reg *experiment.Registry) *cobra.Command {
	g := &globals{studies: reg}
	root := &cobra.Command{
		Use:           "circuitry",
		Short:         "Train and dissect brain-like neural circuits",
		Long:          "circuitry trains Dale's-law and noisy recurrent networks and analyses them, reproducing\nstudies of inhibitory normalisation and offline reactivation.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data", "", "Fashion-MNIST directory, or \"embedded\" for the built-in subset (default: $CIRCUITRY_DATA, "+images.SystemDir+", the user cache, then the embedded subset)")
	root.AddCommand(versionCmd(), dataCmd(g), presetsCmd(), configCmd(), trainCmd(g), runCmd(g), runsCmd(), compareCmd(), analyzeCmd(), resumeCmd(g), reproduceCmd(g), sweepCmd(g), reportCmd(), serveCmd(), benchCmd(), demoCmd(g))
	return root
}
