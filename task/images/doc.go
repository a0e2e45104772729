// Package images loads image-classification data for the studies:
// IDX files (raw or gzipped) with strict validation, Fashion-MNIST
// discovery and download, an embedded class-balanced subset of the real
// data for machines that have nothing else, and the random-luminosity
// transform of the inhibitory-normalisation study.
package images
