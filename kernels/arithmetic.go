package kernels

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Arithmetic names what decides the bits of a training run besides its
// config and data, in the form "amd64 GOAMD64=v1, fma kernels":
//
//   - the architecture and its instruction-set level. Go may fuse x*y + z
//     into one FMA where the level has it (GOAMD64=v3 and up; arm64
//     always), in circuitry's loops and in Go's math package (math.Sin,
//     math.Log1p, ... differ in the last bit between GOAMD64=v1 and v3
//     builds), so the same config trains to other bits;
//   - the kernels: the assembly ones ("fma": AVX-512 and AVX2+FMA, identical
//     bits to each other) or the portable Go loops ("go": noasm builds,
//     CPUs without AVX2/FMA, CIRCUITRY_GEMM=go), which round each product
//     and have no dot-product path.
//
// Two binaries with the same Arithmetic train a config to the same bits;
// a run resumes only under the arithmetic it started with.
func Arithmetic() string {
	level := "default"
	if bi, ok := debug.ReadBuildInfo(); ok {
		key := "GO" + strings.ToUpper(runtime.GOARCH) // GOAMD64, GOARM64, GO386, ...
		for _, s := range bi.Settings {
			if s.Key == key {
				level = key + "=" + s.Value
			}
		}
	}
	family := "fma"
	if active.dot == nil {
		family = "go"
	}
	return runtime.GOARCH + " " + level + ", " + family + " kernels"
}
