// Package browser drives Debian's headless Chromium for the tests of
// circuitry's pages: load a page, read back its DOM and console, take a
// screenshot. Tests skip when Chromium is not installed.
package browser

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// flags are what a root CI machine without network needs.
var flags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"}

// Page is one page loaded in a fresh Chromium profile.
type Page struct {
	t        testing.TB
	chromium string
	url      string
}

// Open finds Chromium (skipping t without it) for url (http:// or file://).
func Open(t testing.TB, url string) *Page {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("Debian chromium is not installed")
	}
	return &Page{t: t, chromium: chromium, url: url}
}

func (p *Page) run(extra ...string) (stdout, stderr string) {
	p.t.Helper()
	args := append(append([]string{"--user-data-dir=" + p.t.TempDir()}, flags...), extra...)
	cmd := exec.Command(p.chromium, append(args, p.url)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("chromium %s: %v\n%s", p.url, err, errb.String())
	}
	return out.String(), errb.String()
}

// DOM is the page's DOM after its scripts ran (5 s of virtual time); it
// fails the test on an uncaught exception or a console error.
func (p *Page) DOM() string {
	p.t.Helper()
	dom, logs := p.run("--dump-dom", "--virtual-time-budget=5000")
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, "CONSOLE") && strings.Contains(line, "rror") {
			p.t.Errorf("%s: console error: %s", p.url, line)
		}
	}
	return dom
}

// Screenshot renders the page at width x height into $CIRCUITRY_SCREENSHOTS/
// name.png (or the test's temporary directory) and returns the path; the
// file must be a PNG of some substance.
func (p *Page) Screenshot(name string, width, height int) string {
	p.t.Helper()
	dir := os.Getenv("CIRCUITRY_SCREENSHOTS")
	if dir == "" {
		dir = p.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(dir, name+".png"))
	if err != nil {
		p.t.Fatal(err)
	}
	p.run("--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", width, height), "--virtual-time-budget=5000")
	b, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 5000 {
		p.t.Fatalf("screenshot %s: %v, %d bytes", shot, err, len(b))
	}
	p.t.Logf("screenshot: %s", shot)
	return shot
}

// CheckPage loads the HTML file at path in Chromium, fails t on a console
// error or when the rendered DOM lacks one of wants or has fewer than
// images <img> elements, then makes the checks a person would (Layout),
// and saves a screenshot named name (see Screenshot). It returns the
// screenshot's path.
func CheckPage(t testing.TB, path, name string, images int, wants ...string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	p := Open(t, "file://"+abs)
	dom := p.DOM()
	for _, w := range wants {
		if !strings.Contains(dom, w) {
			t.Errorf("%s: the rendered page lacks %q", path, w)
		}
	}
	if n := strings.Count(dom, "<img "); n < images {
		t.Errorf("%s: %d images, want at least %d", path, n, images)
	}
	Layout(t, abs)
	return p.Screenshot(name, 1200, 1600)
}

// layoutProbe, appended to a copy of a page, records in the DOM every
// image that did not load and every element whose right edge passes the
// 1400 px viewport (a table or figure a reader must scroll sideways to).
const layoutProbe = `<script>window.addEventListener("load", function () {
  var bad = [];
  document.querySelectorAll("img").forEach(function (im) {
    if (!im.complete || im.naturalWidth === 0) bad.push("image not loaded: " + im.getAttribute("src"));
  });
  var vw = document.documentElement.clientWidth;
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && getComputedStyle(el).position !== "fixed") {
      var p = el.parentElement;
      var pr = p ? p.getBoundingClientRect() : null;
      if (!pr || pr.right <= vw + 1) bad.push("wider than the viewport: <" + el.tagName.toLowerCase() + "> right edge " + Math.round(r.right) + " px");
    }
  });
  var out = document.createElement("pre");
  out.id = "layout-probe";
  out.textContent = "LAYOUT[" + bad.join("|") + "]LAYOUT";
  document.body.appendChild(out);
});</script>`

// Layout loads a copy of the page at path (beside it, so relative links
// resolve) with layoutProbe appended, in a 1400 px wide window, and fails
// t for every image that did not load and every element wider than the
// window.
func Layout(t testing.TB, path string) {
	t.Helper()
	for _, f := range layoutProblems(t, path) {
		t.Errorf("%s: %s", path, f)
	}
}

// layoutProblems is what the probe found on the page at path.
func layoutProblems(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(filepath.Dir(path), ".layout-probe-"+filepath.Base(path))
	return probeCopy(t, b, probe, "file://"+probe)
}

// LayoutServed makes Layout's checks on the page a server gives at
// base+"/": a copy with the probe, its absolute links pointed at the
// server, is loaded from a file (the server's Content-Security-Policy
// rightly runs no script but its own).
func LayoutServed(t testing.TB, base string) {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	page := strings.NewReplacer(`src="/`, `src="`+base+"/", `href="/`, `href="`+base+"/").Replace(string(b))
	file := filepath.Join(t.TempDir(), "index.html")
	for _, f := range probeCopy(t, []byte(page), file, "file://"+file) {
		t.Errorf("%s/: %s", base, f)
	}
}

// probeCopy writes page with the probe appended to file, loads url (where
// that file is served) in a 1400 px window and returns what the probe found.
func probeCopy(t testing.TB, page []byte, file, url string) []string {
	t.Helper()
	if err := os.WriteFile(file, append(page, []byte(layoutProbe)...), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(file)
	p := Open(t, url)
	dom, _ := p.run("--dump-dom", "--virtual-time-budget=5000", "--window-size=1400,1000")
	_, rest, ok := strings.Cut(dom, `<pre id="layout-probe">LAYOUT[`)
	found, _, ok2 := strings.Cut(rest, "]LAYOUT")
	if !ok || !ok2 {
		return []string{"the layout probe did not run"}
	}
	var out []string
	for _, f := range strings.Split(html.UnescapeString(found), "|") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
