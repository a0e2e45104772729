// Package ei implements Dale's-law layers — separate excitatory (E) and
// inhibitory (I) populations with sign-constrained weights — after
// Cornford et al. (ICLR 2021), and the learned inhibitory normalisation of
// Eyono et al. (2026): interneurons that subtract the E population's mean
// and divide by its spread, trained by a local homeostatic loss, with the
// error-normalisation backward variants the study compares.
//
// Shapes follow PyTorch: a batch has one sample per row; Wex is ne x d,
// Wix ni x d, Wei ne x ni. Every weight constrained to be non-negative is
// listed by the layer's NonNegative method and must be clipped with
// Project after every optimiser step.
package ei
