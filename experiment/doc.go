// Package experiment is circuitry's engine, the part every study shares:
// strict YAML decoding with key=value overrides and errors that name the
// field; named random streams derived from a run's seed; run directories
// written atomically under one integrity policy (a run.json fingerprint of
// the resolved config, reuse or resume only on a match, one-line refusals
// naming the keys that differ, advisory locks); checkpoint restore helpers;
// progress reporting; Slurm job arrays; the Verdict table; and the Study
// abstraction with its one runner (RunStudy, RunStudyPoint), the Kind
// registry the command line dispatches on, and Reproduce.
//
// It knows no study: those live under study/ and register a Kind.
package experiment
