package images

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// FashionFile is one of the four official Fashion-MNIST files: its name,
// the SHA-256 of the official gzip download and of its decompressed IDX
// content (which survives re-compression, e.g. Debian's package).
type FashionFile struct {
	Name          string
	GzipSHA256    string
	ContentSHA256 string
}

// FashionFiles lists the official files in the order train images, train
// labels, test images, test labels.
var FashionFiles = []FashionFile{
	{"train-images-idx3-ubyte.gz", "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
	{"train-labels-idx1-ubyte.gz", "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
	{"t10k-images-idx3-ubyte.gz", "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
	{"t10k-labels-idx1-ubyte.gz", "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
}

// FashionBaseURL is where `circuitry data fetch` downloads from.
const FashionBaseURL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

// SystemDir is where Debian's dataset-fashion-mnist installs the files.
const SystemDir = "/usr/share/datasets/fashion-mnist"

// EnvVar names the environment variable that points at a data directory.
const EnvVar = "CIRCUITRY_DATA"

//go:embed embedded/*.gz
var embedded embed.FS

// Source says where a dataset was found. Kind is "--data", "$CIRCUITRY_DATA",
// "system", "cache" or "embedded"; Dir is empty for embedded data.
type Source struct {
	Kind string
	Dir  string
}

func (s Source) String() string {
	if s.Kind == "embedded" {
		return "embedded subset"
	}
	return fmt.Sprintf("%s (%s)", s.Dir, s.Kind)
}

// EmbeddedNotice is printed when the embedded subset is used.
const EmbeddedNotice = "note: using the embedded Fashion-MNIST subset (10k/2k); for the full set run `circuitry data fetch`, `apt-get install dataset-fashion-mnist`, or pass --data DIR"

var noticeOnce sync.Once

// NoteEmbedded prints EmbeddedNotice to w the first time a process loads
// the embedded subset: a demo or a sweep loads data several times, and
// one notice says it.
func NoteEmbedded(w io.Writer) {
	noticeOnce.Do(func() { fmt.Fprintln(w, EmbeddedNotice) })
}

// CacheDir is the per-user download directory.
func CacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory: %w", err)
	}
	return filepath.Join(d, "circuitry", "fashion-mnist"), nil
}

// FindFashionMNIST locates the dataset: dataDir (the --data flag) if set
// ("embedded" selects the embedded subset),
// else $CIRCUITRY_DATA if set — both must then hold all four files, or it is
// an error naming them — else Debian's system directory, else the user
// cache, else the embedded subset.
func FindFashionMNIST(dataDir string) (Source, error) {
	if dataDir == "embedded" {
		return Source{Kind: "embedded"}, nil
	}
	if dataDir != "" {
		return explicitDir("--data", dataDir)
	}
	if env := os.Getenv(EnvVar); env != "" {
		return explicitDir("$"+EnvVar, env)
	}
	if missingFiles(SystemDir) == nil {
		return Source{Kind: "system", Dir: SystemDir}, nil
	}
	if dir, err := CacheDir(); err == nil && missingFiles(dir) == nil {
		return Source{Kind: "cache", Dir: dir}, nil
	}
	return Source{Kind: "embedded"}, nil
}

func explicitDir(kind, dir string) (Source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Source{}, fmt.Errorf("%s %s: data directory does not exist", kind, dir)
	}
	if !st.IsDir() {
		return Source{}, fmt.Errorf("%s %s: not a directory", kind, dir)
	}
	if err := missingFiles(dir); err != nil {
		return Source{}, fmt.Errorf("%s %s: %w", kind, dir, err)
	}
	return Source{Kind: kind, Dir: dir}, nil
}

// findFile returns the path of name in dir, gzipped or not, or "" when
// neither is there as a regular file. When only something else is there (a
// device such as /dev/zero behind a symlink, a FIFO, a directory), the error
// names it: reading it could never end or never fit.
func findFile(dir, gzName string) (string, error) {
	var irregular error
	for _, n := range []string{gzName, gzName[:len(gzName)-len(".gz")]} {
		p := filepath.Join(dir, n)
		st, err := os.Stat(p)
		switch {
		case err != nil:
		case st.Mode().IsRegular():
			return p, nil
		case irregular == nil:
			irregular = fmt.Errorf("%s is not a regular file", p)
		}
	}
	return "", irregular
}

// missingFiles names the data files dir lacks.
func missingFiles(dir string) error {
	var missing []string
	for _, f := range FashionFiles {
		p, err := findFile(dir, f.Name)
		if err != nil {
			return err
		}
		if p == "" {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %v (gzipped or not)", missing)
	}
	return nil
}

// LoadFashionMNIST reads and validates the train and test sets from src.
func LoadFashionMNIST(src Source) (train, test *Set, err error) {
	if src.Kind == "embedded" {
		return loadEmbedded()
	}
	paths := make([]string, len(FashionFiles))
	for i, f := range FashionFiles {
		if paths[i], err = findFile(src.Dir, f.Name); err != nil {
			return nil, nil, err
		}
		if paths[i] == "" {
			return nil, nil, fmt.Errorf("%s: missing %s", src.Dir, f.Name)
		}
	}
	if train, err = LoadSet(paths[0], paths[1], 10); err != nil {
		return nil, nil, err
	}
	if test, err = LoadSet(paths[2], paths[3], 10); err != nil {
		return nil, nil, err
	}
	if test.Rows != train.Rows || test.Cols != train.Cols {
		return nil, nil, fmt.Errorf("%s holds %dx%d images but %s %dx%d: a network needs one image size", paths[2], test.Rows, test.Cols, paths[0], train.Rows, train.Cols)
	}
	return train, test, nil
}

func loadEmbedded() (train, test *Set, err error) {
	read := func(name string) (*IDX, error) {
		f, err := embedded.Open("embedded/" + name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		x, err := ReadIDX(f)
		if err != nil {
			return nil, fmt.Errorf("embedded %s: %w", name, err)
		}
		return x, nil
	}
	sets := make([]*Set, 2)
	for i := range sets {
		img, err := read(FashionFiles[2*i].Name)
		if err != nil {
			return nil, nil, err
		}
		lbl, err := read(FashionFiles[2*i+1].Name)
		if err != nil {
			return nil, nil, err
		}
		if sets[i], err = NewSet(img, lbl, FashionFiles[2*i].Name, FashionFiles[2*i+1].Name, 10); err != nil {
			return nil, nil, err
		}
	}
	return sets[0], sets[1], nil
}

// FileInfo describes one dataset file for `circuitry data info`.
type FileInfo struct {
	Path          string
	Bytes         int64
	SHA256        string // of the file as stored
	ContentSHA256 string // of the decompressed IDX payload
	Official      bool   // content equals the official Fashion-MNIST file
}

// DescribeFiles checksums the four files of src.
func DescribeFiles(src Source) ([]FileInfo, error) {
	out := make([]FileInfo, 0, len(FashionFiles))
	for _, f := range FashionFiles {
		var (
			r    io.ReadCloser
			path string
			err  error
		)
		if src.Kind == "embedded" {
			path = "embedded/" + f.Name
			r, err = embedded.Open(path)
		} else {
			if path, err = findFile(src.Dir, f.Name); err == nil {
				if path == "" {
					return nil, fmt.Errorf("%s: missing %s", src.Dir, f.Name)
				}
				r, err = os.Open(path)
			}
		}
		if err != nil {
			return nil, err
		}
		info, err := checksum(r, path)
		r.Close()
		if err != nil {
			return nil, err
		}
		info.Official = info.ContentSHA256 == f.ContentSHA256
		out = append(out, info)
	}
	return out, nil
}

// checksum hashes a stream and, if it is gzipped, its decompressed content.
func checksum(r io.Reader, path string) (FileInfo, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return FileInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	info := FileInfo{Path: path, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	content := data
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return FileInfo{}, fmt.Errorf("%s: bad gzip stream: %w", path, err)
		}
		if content, err = io.ReadAll(zr); err != nil {
			return FileInfo{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	csum := sha256.Sum256(content)
	info.ContentSHA256 = hex.EncodeToString(csum[:])
	return info, nil
}
