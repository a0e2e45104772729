// Command circuitry trains and dissects brain-like neural circuits.
//
// The CLI is thin: it parses flags, calls the engine (package experiment)
// and the studies registered in package study, and prints.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study"
)

func main() { os.Exit(run(study.Builtin())) }

// run executes the command line with the studies of reg and returns the
// exit status.
func run(reg *experiment.Registry) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(reg).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "circuitry:", err)
		return 1
	}
	return 0
}
