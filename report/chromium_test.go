package report

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/browser"
)

// The index in real headless Chromium: it loads without console errors,
// shows every figure, and #sort=COLUMN:desc orders a table by a column
// numerically (0.85 before 0.1 before 0.05, not as text).
func TestIndexInHeadlessChromium(t *testing.T) {
	root := t.TempDir()
	p, _ := Lines("accuracy", "eps", "%", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}})
	Save(p, filepath.Join(root, "study", "figures"), "acc")
	acc := func(v float64) map[string]any { return map[string]any{"final_test_acc": v} }
	srv := httptest.NewServer(Handler(root, 30, staticList(
		RunInfo{Path: "a", Kind: "classifier", Status: "finished", Metrics: acc(0.1)},
		RunInfo{Path: "b", Kind: "classifier", Status: "finished", Metrics: acc(0.85)},
		RunInfo{Path: "c", Kind: "classifier", Status: "finished", Metrics: acc(0.05)},
		RunInfo{Path: "study", Kind: "study", Status: "1/1 points", Figures: []string{"study/figures/acc.png"}},
		// A long path and many differing keys: the table must still fit 1400 px.
		RunInfo{Path: strings.Repeat("offline-reactivation-paper/", 4) + "runs/noisy_s0", Kind: "reactivation", Status: "finished",
			Config: wideConfig(12)},
		RunInfo{Path: "other", Kind: "reactivation", Status: "finished", Config: wideConfig(12)},
	)))
	defer srv.Close()
	page := browser.Open(t, srv.URL+"/#sort=final_test_acc:desc")
	dom := page.DOM()
	if !strings.Contains(dom, `data-images-loaded="1/1"`) {
		t.Error("the figure did not load")
	}
	ib, ia, ic := strings.Index(dom, `href="/b/"`), strings.Index(dom, `href="/a/"`), strings.Index(dom, `href="/c/"`)
	if ib < 0 || !(ib < ia && ia < ic) || !strings.Contains(dom, `data-dir="desc"`) {
		t.Errorf("not sorted by final_test_acc descending (b %d, a %d, c %d)", ib, ia, ic)
	}
	page.Screenshot("serve-index", 1200, 800)
	browser.LayoutServed(t, srv.URL)
}

// wideConfig is n differing config keys with long values.
func wideConfig(n int) map[string]string {
	m := map[string]string{}
	for i := 0; i < n; i++ {
		m[fmt.Sprintf("quiescence.some_key_%02d", i)] = strings.Repeat("[0.5, 1.25, 2.5] ", 3)
	}
	return m
}
