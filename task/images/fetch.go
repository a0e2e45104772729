package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// Fetch downloads files from baseURL into dir, verifies each against its
// SHA-256 (of the download, or of its decompressed content) and moves it
// into place atomically; a file already present and valid is kept. A
// failed download leaves nothing behind. logf reports progress.
func Fetch(ctx context.Context, client *http.Client, baseURL, dir string, files []FashionFile, logf func(format string, args ...any)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache directory %s: %w", dir, err)
	}
	for _, f := range files {
		dst := filepath.Join(dir, f.Name)
		if data, err := os.ReadFile(dst); err == nil && verify(data, f) == nil {
			logf("%s: already present and verified", dst)
			continue
		}
		url := baseURL + f.Name
		logf("downloading %s", url)
		data, err := download(ctx, client, url)
		if err != nil {
			return fmt.Errorf("download %s: %w (offline? install Debian's dataset-fashion-mnist, or copy the four files into a directory and pass --data DIR)", url, err)
		}
		if err := verify(data, f); err != nil {
			return fmt.Errorf("download %s: %w", url, err)
		}
		if err := fsutil.WriteFileAtomic(dst, data); err != nil {
			return err
		}
		logf("%s: %d bytes, SHA-256 verified", dst, len(data))
	}
	return nil
}

func download(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func verify(data []byte, f FashionFile) error {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) == f.GzipSHA256 {
		return nil
	}
	info, err := checksum(bytes.NewReader(data), f.Name)
	if err != nil {
		return err
	}
	if info.ContentSHA256 != f.ContentSHA256 {
		return fmt.Errorf("SHA-256 mismatch: got %s, want %s (download) or content %s", info.SHA256, f.GzipSHA256, f.ContentSHA256)
	}
	return nil
}
