// Package sweep expands a grid of single-run configs (keys as in --set,
// times seeds) into points, runs them as an experiment.Study locally or as
// a Slurm job array, and merges the finished runs into tables, a figure
// and report.html.
package sweep
