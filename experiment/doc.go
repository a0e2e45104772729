// Package experiment turns a YAML config into a finished run: strict
// decoding and validation with errors that name the field, key=value
// overrides, named random streams derived from the run seed, the run
// directory (resolved config, metrics.jsonl, summary.json, all written
// atomically), progress reporting and the training loops.
package experiment
