//go:build !amd64 || noasm

package kernels

func availableKernels() []tileKernel { return []tileKernel{goKernel} }
