package main

import (
	"fmt"
	"runtime"
	"time"

	"github.com/circuitry-lab/circuitry/bench"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/spf13/cobra"
)

func benchCmd() *cobra.Command {
	var seconds float64
	var asJSON bool
	var rounds int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure GEMM GFLOP/s and the studies' training speed here, against PyTorch, each at its faster thread setting",
		Long: "bench measures each workload with 1 worker and with every core, and, when a Python with torch is found\n" +
			"($CIRCUITRY_PYTHON, then python3 on PATH, then Debian's /usr/bin/python3), PyTorch with 1 thread and every core (OpenMP and OpenBLAS alike), and with torch.set_num_threads(1) alone,\n" +
			"which leaves Debian's OpenBLAS on every core; each side is compared at its fastest setting, named on the line.\n" +
			"CIRCUITRY_GEMM=avx2-fma forces the AVX2 kernel on an AVX-512 machine. --json prints one JSON object per line.\n" +
			"On a machine whose speed drifts (shared VMs), --rounds 3 measures both sides three times, interleaved, and keeps each one's best.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rounds < 1 {
				return fmt.Errorf("--rounds %d: want at least 1", rounds)
			}
			if !(seconds > 0) { // NaN too
				return fmt.Errorf("--seconds %g: want a positive duration", seconds)
			}
			if !asJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "circuitry bench: %s/%s, %d cores, gemm kernel %s\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), kernels.Backend())
			}
			_, err := bench.Run(cmd.OutOrStdout(), time.Duration(seconds*float64(time.Second)), asJSON, rounds)
			return err
		},
	}
	cmd.Flags().Float64Var(&seconds, "seconds", 2, "minimum measuring time per benchmark and setting")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per workload (for scripts)")
	cmd.Flags().IntVar(&rounds, "rounds", 1, "measure every workload this many times, circuitry and PyTorch interleaved, keeping each side's best")
	return cmd
}
