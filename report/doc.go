// Package report draws figures (PNG and SVG, with gonum/plot) and writes
// the human-readable summaries of runs and studies.
package report
