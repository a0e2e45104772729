package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The layout probe finds an image that did not load and an element wider
// than the 1400 px window, and nothing on a page without them.
func TestLayoutProbe(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><html><body><p>text</p><img src="missing.png" alt="x"><div style="width:2000px">wide</div></body></html>`), 0o644)
	good := filepath.Join(dir, "good.html")
	os.WriteFile(good, []byte(`<!DOCTYPE html><html><body><p>text</p><table><tr><td>1</td></tr></table></body></html>`), 0o644)
	Open(t, "file://"+good) // skips without Chromium
	got := strings.Join(layoutProblems(t, bad), "\n")
	if !strings.Contains(got, "image not loaded: missing.png") || !strings.Contains(got, "wider than the viewport: <div>") {
		t.Errorf("bad page: %q", got)
	}
	if p := layoutProblems(t, good); len(p) != 0 {
		t.Errorf("good page: %q", p)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the probe's copy was left behind: %d files", len(entries))
	}
}
