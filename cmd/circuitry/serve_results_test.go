package main

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/browser"
	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/runlist"
)

// serve's index of the committed results/ (real studies: nested bundle
// paths, every headline column, many differing keys) fits a 1400 px window
// with every image loaded, in headless Chromium. A layout that passes
// only on the small tables of report's own tests would fail here.
func TestServeIndexOfResultsFits(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", "results"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(report.Handler(root, 30, func(r string) ([]report.RunInfo, error) { return runlist.Scan(r, false) }))
	defer srv.Close()
	browser.Open(t, srv.URL+"/").Screenshot("serve-index-results", 1400, 1000)
	browser.LayoutServed(t, srv.URL)
}
