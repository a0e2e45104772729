// Package classify trains image classifiers on Fashion-MNIST with random
// luminosity: the quick-start MLP and the Dale's-law networks of the
// inhibitory-normalisation study (package ei), one run directory per
// config, checkpointed every epoch (or every N steps) and resumable
// bit-identically under the engine's integrity policy.
package classify
