// Package reactivation is study 2, offline reactivation in noisy
// recurrent networks (Krishna et al. 2024): one CT-RNN (or GRU, or
// Dale's-law RNN) per condition and seed trained to path-integrate, then
// run with its input removed; the offline analyses (densities and KL,
// step distances, variance, drift field, PCA), the study's report and
// its verdicts.
package reactivation
