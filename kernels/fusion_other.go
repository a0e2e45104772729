//go:build !amd64.v3

package kernels

// goFusesMulAdd: below GOAMD64=v3 Go rounds every product and sum (where
// it fuses them, arm64 and others, no assembly runs).
const goFusesMulAdd = false
