package kernels

import (
	"runtime"
	"strings"
	"testing"
)

// The arithmetic names the architecture, its level as built and the
// kernel family in use: switching to the portable kernel changes it,
// switching between the assembly kernels (identical bits) does not.
func TestArithmeticNamesWhatDecidesTheBits(t *testing.T) {
	base := Arithmetic()
	if !strings.HasPrefix(base, runtime.GOARCH+" ") {
		t.Fatalf("%q does not start with the architecture", base)
	}
	if runtime.GOARCH == "amd64" && !strings.Contains(base, "GOAMD64=v") {
		t.Fatalf("%q does not name the GOAMD64 level", base)
	}
	for _, name := range Kernels() {
		old, err := UseKernel(name)
		if err != nil {
			t.Fatal(err)
		}
		got := Arithmetic()
		UseKernel(old)
		want := "fma kernels"
		if name == "go" {
			want = "go kernels"
		}
		if !strings.HasSuffix(got, want) || strings.TrimSuffix(got, want) != strings.TrimSuffix(strings.TrimSuffix(base, "fma kernels"), "go kernels") {
			t.Errorf("kernel %s: arithmetic %q, want the base %q with %q", name, got, base, want)
		}
	}
}
