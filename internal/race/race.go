//go:build race

// Package race tells tests whether the race detector is on: it adds
// allocations of its own, so allocation counts are checked without it.
package race

// Enabled is true when built with -race.
const Enabled = true
