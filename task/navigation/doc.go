// Package navigation generates the spatial path-integration task of the
// offline-reactivation study (after Sorscher et al. 2019): smooth random
// walks in a square box with Rayleigh speeds, Gaussian turns and wall
// avoidance, optionally drifting toward an anchor; place-cell targets
// (softmax Gaussians, or difference of Gaussians) and top-k decoding.
//
// Units: metres, seconds, radians.
package navigation
