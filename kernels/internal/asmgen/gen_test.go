package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The committed assembly must be what the generator writes.
func TestCommittedAssemblyIsGenerated(t *testing.T) {
	have, err := os.ReadFile("../../sgemm_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, Generate()) {
		t.Fatal("kernels/sgemm_amd64.s differs from the generator's output; run `go generate ./kernels`")
	}
}

// Functions not named for AVX-512 run on AVX2-only CPUs (AMD Zen 2/3, most
// cluster nodes): they may not touch what only EVEX encodes — Z registers,
// mask registers, X/Y registers 16-31 — nor EVEX-only instructions. This is
// how the forced-AVX2 measurements on an AVX-512 machine carry over.
func TestAVX2FunctionsUseNoAVX512(t *testing.T) {
	evexReg := regexp.MustCompile(`\b(Z\d+|K[0-7]|[XY](1[6-9]|2\d|3[01]))\b`)
	evexOp := regexp.MustCompile(`\b(VP(XOR|AND|ANDN|OR|TERNLOG)[DQ]|VMOVDQ[AU](32|64)|V(EXTRACT|INSERT|BROADCAST)[FI](32|64)X[248]|VPERMT2\w+|VSCALEF\w+|VRNDSCALE\w+|VGETEXP\w+|VFIXUPIMM\w+)\b`)
	checked := 0
	for _, fn := range strings.Split(string(Generate()), "\nTEXT ")[1:] {
		name := fn[:strings.Index(fn, "(")]
		if strings.Contains(name, "AVX512") {
			continue
		}
		checked++
		for _, line := range strings.Split(fn, "\n")[1:] {
			code, _, _ := strings.Cut(line, "//")
			for _, bad := range []string{evexReg.FindString(code), evexOp.FindString(code)} {
				if bad != "" {
					t.Errorf("%s uses %s: %q", name, bad, strings.TrimSpace(code))
				}
			}
		}
	}
	if checked < 8 {
		t.Fatalf("checked %d AVX2 functions", checked)
	}
}
