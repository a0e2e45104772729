package npy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/circuitry-lab/circuitry/internal/pyfind"
)

func TestReadBackWithNpyio(t *testing.T) {
	data := []float32{1, 2, 3, 4, 5, 6}
	b, err := Bytes(data, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if (len(b)-len(data)*4)%64 != 0 {
		t.Fatalf("header not 64-byte aligned: %d", len(b)-len(data)*4)
	}
	r, err := npyio.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Header.Descr.Shape; len(s) != 2 || s[0] != 2 || s[1] != 3 {
		t.Fatalf("header %v", r.Header)
	}
	var got []float32
	if err := r.Read(&got); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if got[i] != data[i] {
			t.Fatalf("got %v", got)
		}
	}
	if _, err := Bytes(data, 4, 2); err == nil {
		t.Fatal("wrong shape accepted")
	}
	if _, err := Bytes([]string{"a"}, 1); err == nil {
		t.Fatal("strings accepted")
	}
}

// Debian's numpy loads the files with the right dtype, shape and values.
func TestNumpyLoads(t *testing.T) {
	py, err := pyfind.Find("numpy")
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	write := func(name string, data any, shape ...int) {
		b, err := Bytes(data, shape...)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	write("a.npy", []float32{0.5, -1, 2, 3, 4, 5, 6, 7}, 2, 2, 2)
	write("b.npy", []float64{1.25, 2.5, 3.75}, 3)
	write("c.npy", []int64{-1, 7}, 2, 1)
	script := `
import numpy as np, sys
d = sys.argv[1]
a = np.load(d + "/a.npy"); b = np.load(d + "/b.npy"); c = np.load(d + "/c.npy")
assert a.dtype == np.float32 and a.shape == (2, 2, 2) and a[1, 1, 1] == 7 and a[0, 0, 0] == 0.5, a
assert b.dtype == np.float64 and b.shape == (3,) and b.sum() == 7.5, b
assert c.dtype == np.int64 and c.shape == (2, 1) and c[0, 0] == -1, c
print("ok")
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
}

// Every truncation, and a few forgeries, of a valid file is an error
// naming the file, never a panic; the whole file reads back exactly.
func TestReadRejectsDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	good, err := Bytes([]float64{1, 2, 3, 4, 5, 6}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, good, 0o644)
	if x, shape, err := ReadFloat64(path); err != nil || len(shape) != 2 || shape[0] != 3 || x[5] != 6 {
		t.Fatalf("good file: %v %v %v", x, shape, err)
	}
	if _, _, err := ReadFloat32(path); err == nil || !strings.Contains(err.Error(), "want dtype <f4") {
		t.Fatalf("wrong dtype: %v", err)
	}
	bad := [][]byte{[]byte(strings.Replace(string(good), "(3, 2)", "(300000000000, 2)", 1)),
		[]byte(strings.Replace(string(good), "(3, 2)", "(-3, 2)", 1)),
		[]byte(strings.Replace(string(good), "False", "True ", 1))}
	for n := 0; n < len(good); n++ {
		bad = append(bad, good[:n])
	}
	for i, b := range bad {
		os.WriteFile(path, b, 0o644)
		if _, _, err := ReadFloat64(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("damaged file %d (%d bytes): err = %v", i, len(b), err)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	good, _ := Bytes([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	f.Add(good)
	f.Add(good[:10])
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'"))
	f.Fuzz(func(t *testing.T, b []byte) {
		shape, body, err := parseHeader(b, "<f8")
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if n*8 != len(body) {
			t.Fatalf("shape %v for %d data bytes", shape, len(body))
		}
	})
}
