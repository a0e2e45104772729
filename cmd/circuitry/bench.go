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
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure GEMM GFLOP/s and the studies' training speed on this machine",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "circuitry bench: %s/%s, %d cores, gemm kernel %s\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), kernels.Backend())
			_, err := bench.Run(cmd.OutOrStdout(), time.Duration(seconds*float64(time.Second)))
			return err
		},
	}
	cmd.Flags().Float64Var(&seconds, "seconds", 2, "minimum measuring time per benchmark")
	return cmd
}
