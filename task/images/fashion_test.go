package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestFindFashionMNISTExplicitDirs(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := FindFashionMNIST(missing); err == nil || !strings.Contains(err.Error(), "--data "+missing+": data directory does not exist") {
		t.Fatalf("missing --data: %v", err)
	}
	t.Setenv(EnvVar, missing)
	if _, err := FindFashionMNIST(""); err == nil || !strings.Contains(err.Error(), "$CIRCUITRY_DATA") {
		t.Fatalf("missing env dir: %v", err)
	}
	empty := t.TempDir()
	if _, err := FindFashionMNIST(empty); err == nil || !strings.Contains(err.Error(), "missing [train-images-idx3-ubyte.gz") {
		t.Fatalf("empty --data: %v", err)
	}
	// A device behind a data file's name is named, not reported missing and
	// never read (/dev/zero would never end).
	devDir := t.TempDir()
	if err := os.Symlink(os.DevNull, filepath.Join(devDir, "train-images-idx3-ubyte")); err != nil {
		t.Fatal(err)
	}
	if _, err := FindFashionMNIST(devDir); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte is not a regular file") {
		t.Fatalf("device as data file: %v", err)
	}
	dir := t.TempDir()
	writeSet(t, dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", 4, []byte{1, 2, 3, 4})
	writeSet(t, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte.gz", 2, []byte{5, 6})
	t.Setenv(EnvVar, dir)
	src, err := FindFashionMNIST("")
	if err != nil || src.Kind != "$CIRCUITRY_DATA" || src.Dir != dir {
		t.Fatalf("env dir: %v %v", src, err)
	}
	train, test, err := LoadFashionMNIST(src)
	if err != nil || train.N != 4 || test.N != 2 || test.Labels[1] != 6 {
		t.Fatalf("load: %v", err)
	}
	// A test set of another image size is an error, not a panic in the
	// first evaluation's product.
	small := &IDX{Dims: []int{2, 1, 2}, Data: []byte{1, 2, 3, 4}}
	os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte"), encode(t, small), 0o644)
	if _, _, err := LoadFashionMNIST(src); err == nil || !strings.Contains(err.Error(), "holds 1x2 images but") {
		t.Fatalf("mismatched test images: %v", err)
	}
}

func TestEmbeddedSubsetIsBalancedRealData(t *testing.T) {
	train, test, err := LoadFashionMNIST(Source{Kind: "embedded"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    *Set
		n    int
		name string
	}{{train, 10000, "train"}, {test, 2000, "test"}} {
		if c.s.N != c.n || c.s.Rows != 28 || c.s.Cols != 28 {
			t.Fatalf("%s: %d images %dx%d", c.name, c.s.N, c.s.Rows, c.s.Cols)
		}
		counts := make([]int, 10)
		for _, l := range c.s.Labels {
			counts[l]++
		}
		for k, n := range counts {
			if n != c.n/10 {
				t.Fatalf("%s class %d has %d images", c.name, k, n)
			}
		}
		// Real Fashion-MNIST: mean pixel ~0.286, about half the pixels exactly 0.
		var sum float64
		zeros := 0
		for _, v := range c.s.Pixels {
			sum += float64(v)
			if v == 0 {
				zeros++
			}
		}
		mean := sum / float64(len(c.s.Pixels))
		if math.Abs(mean-0.286) > 0.02 || zeros < len(c.s.Pixels)/3 {
			t.Fatalf("%s: mean pixel %.3f, %d zeros", c.name, mean, zeros)
		}
	}
	infos, err := DescribeFiles(Source{Kind: "embedded"})
	if err != nil || len(infos) != 4 || infos[0].Official {
		t.Fatalf("describe embedded: %v %+v", err, infos)
	}
}

func TestSystemDatasetIsOfficial(t *testing.T) {
	if missingFiles(SystemDir) != nil {
		t.Skip("Debian's dataset-fashion-mnist is not installed")
	}
	infos, err := DescribeFiles(Source{Kind: "system", Dir: SystemDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if !in.Official {
			t.Errorf("%s content %s is not the official file", in.Path, in.ContentSHA256)
		}
	}
}

func TestLuminosityShift(t *testing.T) {
	const dim, n, eps = 50, 4000, 0.75
	src := make([]float32, dim*n)
	for i := range src {
		src[i] = 0.5
	}
	dst := make([]float32, len(src))
	ShiftRandom(dst, src, dim, eps, rand.New(rand.NewPCG(1, 2)))
	var s, ss float64
	clipped := 0
	for i := 0; i < n; i++ {
		img := dst[i*dim : (i+1)*dim]
		for _, v := range img {
			if v != img[0] {
				t.Fatal("shift differs within one image")
			}
			if v < 0 || v > 1 {
				t.Fatalf("pixel %v outside [0, 1]", v)
			}
		}
		if img[0] == 0 || img[0] == 1 {
			clipped++
		}
		u := float64(img[0]) - 0.5
		s += u
		ss += u * u
	}
	// Shift ~ U(-0.75, 0.75) clipped at ±0.5: mean 0; E[min(u^2, 0.25)]
	// = (1/1.5)*(2*0.5^3/3 + 0.25*0.5) = 0.1389; P(clip) = 0.5/1.5.
	mean, msq := s/n, ss/n
	if math.Abs(mean) > 0.015 || math.Abs(msq-0.1389) > 0.01 || math.Abs(float64(clipped)/n-1.0/3) > 0.03 {
		t.Fatalf("mean %.4f, E[u^2] %.4f, clipped %.3f", mean, msq, float64(clipped)/n)
	}
	ShiftFixed(dst[:3], []float32{0.1, 0.5, 0.9}, 0.25)
	if dst[0] != 0.35 || dst[1] != 0.75 || dst[2] != 1 {
		t.Fatalf("fixed shift = %v", dst[:3])
	}
}

func TestFetch(t *testing.T) {
	payload := gz(encode(t, &IDX{Dims: []int{3}, Data: []byte{1, 2, 3}}))
	sum := sha256.Sum256(payload)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/good.gz" {
			w.Write(payload)
			return
		}
		w.Write([]byte("corrupted"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	logf := func(string, ...any) {}
	good := []FashionFile{{Name: "good.gz", GzipSHA256: hex.EncodeToString(sum[:])}}
	if err := Fetch(context.Background(), srv.Client(), srv.URL+"/", dir, good, logf); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "good.gz")); len(b) != len(payload) {
		t.Fatal("fetched file missing")
	}
	bad := []FashionFile{{Name: "bad.gz", GzipSHA256: hex.EncodeToString(sum[:])}}
	if err := Fetch(context.Background(), srv.Client(), srv.URL+"/", dir, bad, logf); err == nil || !strings.Contains(err.Error(), "SHA-256 mismatch") {
		t.Fatalf("bad checksum: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.gz")); err == nil {
		t.Fatal("a file that failed verification was kept")
	}
	srv.Close()
	if err := Fetch(context.Background(), http.DefaultClient, srv.URL+"/", dir, bad, logf); err == nil || !strings.Contains(err.Error(), "offline?") {
		t.Fatalf("offline: %v", err)
	}
}

// The embedded-data notice is printed once per process, however often
// data is loaded.
func TestEmbeddedNoticeOnce(t *testing.T) {
	noticeOnce = sync.Once{}
	var a, b bytes.Buffer
	NoteEmbedded(&a)
	NoteEmbedded(&b)
	if a.String() != EmbeddedNotice+"\n" || b.Len() != 0 {
		t.Fatalf("first %q, second %q", a.String(), b.String())
	}
}
