// Package bench measures GEMM throughput and the studies' training-step
// speed on this machine, beside PyTorch when Debian's python3-torch is
// installed (`circuitry bench`).
package bench
