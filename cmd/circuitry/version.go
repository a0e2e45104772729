package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/spf13/cobra"
)

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, Go version, GEMM kernel and arithmetic",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "circuitry %s (%s, %s/%s, gemm kernel %s, %d cores)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, kernels.Backend(), runtime.GOMAXPROCS(0))
			// What decides the bits besides config and data (kernels.Arithmetic):
			// runs started under another arithmetic do not resume here.
			fmt.Fprintf(cmd.OutOrStdout(), "arithmetic: %s\n", kernels.Arithmetic())
		},
	}
}
