package main

import (
	"fmt"
	"os"
	"runtime/pprof"

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
	profile string               // --cpuprofile
	prof    *os.File             // open while profiling
}

// startProfile starts the CPU profile --cpuprofile asks for.
func (g *globals) startProfile(*cobra.Command, []string) error {
	if g.profile == "" {
		return nil
	}
	f, err := os.Create(g.profile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	g.prof = f
	return nil
}

// stopProfile ends a CPU profile, whether the command succeeded or not.
func (g *globals) stopProfile() error {
	if g.prof == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := g.prof.Close()
	g.prof = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}

// newRoot returns the command tree and a function to call once it has
// run (it ends a --cpuprofile).
func newRoot(reg *experiment.Registry) (*cobra.Command, func() error) {
	g := &globals{studies: reg}
	root := &cobra.Command{
		Use:               "circuitry",
		Short:             "Train and dissect brain-like neural circuits",
		Long:              "circuitry trains Dale's-law and noisy recurrent networks and analyses them, reproducing\nstudies of inhibitory normalisation and offline reactivation.",
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: g.startProfile,
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data", "", "Fashion-MNIST directory, or \"embedded\" for the built-in subset (default: $CIRCUITRY_DATA, "+images.SystemDir+", the user cache, then the embedded subset)")
	root.PersistentFlags().StringVar(&g.profile, "cpuprofile", "", "write a CPU profile of the command to this file (read it with go tool pprof)")
	root.AddCommand(versionCmd(), dataCmd(g), presetsCmd(), configCmd(), trainCmd(g), runCmd(g), runsCmd(), compareCmd(), analyzeCmd(), resumeCmd(g), reproduceCmd(g), sweepCmd(g), reportCmd(), serveCmd(), benchCmd(), demoCmd(g))
	return root, g.stopProfile
}
