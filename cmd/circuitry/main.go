// Command circuitry trains and dissects brain-like neural circuits.
//
// The CLI is thin: it parses flags, calls package experiment and prints.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "circuitry:", err)
		os.Exit(1)
	}
}
