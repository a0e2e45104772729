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
	"sync/atomic"
	"syscall"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study"
)

func main() { os.Exit(run(study.Builtin())) }

// run executes the command line with the studies of reg and returns the
// exit status.
//
// The first Ctrl-C or SIGTERM cancels the command's context: training
// loops checkpoint and return, other phases stop at their next check. A
// second one exits at once. Either way the status is the shell's
// convention for death by that signal, 128 + its number (130, 143).
func run(reg *experiment.Registry) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var got atomic.Int32
	go func() {
		for s := range sigs {
			n := int32(s.(syscall.Signal))
			if !got.CompareAndSwap(0, n) {
				fmt.Fprintln(os.Stderr, "circuitry: interrupted again; exiting now")
				os.Exit(128 + int(n))
			}
			fmt.Fprintf(os.Stderr, "circuitry: %v: stopping (checkpointing where training); again to exit now\n", s)
			cancel()
		}
	}()
	root, finish := newRoot(reg)
	err := root.ExecuteContext(ctx)
	if perr := finish(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "circuitry:", err)
	}
	switch n := got.Load(); {
	case n != 0:
		return 128 + int(n)
	case err != nil:
		return 1
	}
	return 0
}
