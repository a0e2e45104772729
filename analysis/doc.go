// Package analysis holds the statistics and analyses that turn runs into
// claims: rank and t tests for comparing conditions, summaries of
// accuracy distributions, and (for recurrent networks) density, distance
// and drift analyses.
package analysis
