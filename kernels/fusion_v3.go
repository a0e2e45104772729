//go:build amd64.v3

package kernels

// goFusesMulAdd: at GOAMD64=v3 and up Go may compile x*y + z to one FMA,
// so a loop of separately rounded vector operations would not be its bits.
const goFusesMulAdd = true
