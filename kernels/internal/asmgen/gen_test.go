package main

import (
	"bytes"
	"os"
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
