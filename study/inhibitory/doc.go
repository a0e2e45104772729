// Package inhibitory is study 1, inhibition-mediated normalisation (Eyono
// et al. 2026): every (condition, eps, hyper-parameter configuration,
// replicate) point is a classify run; Compare aggregates them into the
// study's tables and figures, and Verdicts judges each of its claims.
package inhibitory
