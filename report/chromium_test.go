package report

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// chromiumFlags are what a root CI machine without network needs.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"}

// The index page in real headless Chromium: it loads without console
// errors, lists the runs and shows every figure. The screenshot goes to
// $CIRCUITRY_SCREENSHOT (or a temporary directory).
func TestIndexInHeadlessChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("Debian chromium is not installed")
	}
	root := t.TempDir()
	study := filepath.Join(root, "study")
	os.MkdirAll(filepath.Join(study, "figures"), 0o755)
	os.WriteFile(filepath.Join(study, "study.yaml"), []byte("x: 1\n"), 0o644)
	p, _ := Lines("accuracy", "eps", "%", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}})
	Save(p, filepath.Join(study, "figures"), "acc")
	page, _ := HTML("study", "# study\n\n![acc.png](figures/acc.png)\n", study)
	os.WriteFile(filepath.Join(study, "report.html"), page, 0o644)
	os.MkdirAll(filepath.Join(root, "mlp"), 0o755)
	os.WriteFile(filepath.Join(root, "mlp", "config.yaml"), []byte("name: mlp\n"), 0o644)
	os.WriteFile(filepath.Join(root, "mlp", "summary.json"), []byte("{}"), 0o644)
	srv := httptest.NewServer(Handler(root, 30))
	defer srv.Close()

	run := func(extra ...string) (string, string) {
		args := append(append([]string{"--user-data-dir=" + t.TempDir()}, chromiumFlags...), extra...)
		cmd := exec.Command(chromium, append(args, srv.URL+"/")...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, errb.String())
		}
		return out.String(), errb.String()
	}
	dom, logs := run("--dump-dom", "--virtual-time-budget=5000")
	for _, want := range []string{`data-images-loaded="1/1"`, `href="/study/report.html"`, `href="/mlp/"`, "finished"} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	if strings.Contains(logs, "Uncaught") || strings.Contains(logs, "CONSOLE") && strings.Contains(logs, "rror") {
		t.Errorf("console errors:\n%s", logs)
	}
	shot := os.Getenv("CIRCUITRY_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "index.png")
	}
	run("--screenshot="+shot, "--window-size=1200,800", "--virtual-time-budget=5000")
	b, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 5000 {
		t.Fatalf("screenshot %s: %v, %d bytes", shot, err, len(b))
	}
	t.Logf("screenshot: %s", shot)
}
