// Package rnn holds the recurrent networks of the offline-reactivation
// study: a continuous-time (leaky, Euler-discretised) noisy RNN trained by
// back-propagation through time, and its quiescent simulation with the
// input removed.
//
// Layout: sequences are time-major matrices whose row t*B+b is sample b
// at step t, so one GEMM covers all steps of the input and output maps and
// only the recurrent product runs step by step. Every buffer is carved
// once per (T, B); the time loops allocate nothing.
package rnn
