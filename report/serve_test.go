package report

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// staticList is a Lister that always returns rows.
func staticList(rows ...RunInfo) Lister {
	return func(string) ([]RunInfo, error) { return rows, nil }
}

// The index groups rows by kind, one sortable table each, with a column
// per headline result and per differing config key; numbers carry their
// full value for sorting.
func TestIndexTables(t *testing.T) {
	root := t.TempDir()
	study := filepath.Join(root, "study")
	p, _ := Lines("t", "x", "y", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}})
	Save(p, filepath.Join(study, "figures"), "acc")
	rows := []RunInfo{
		{Path: "mlp-a", Kind: "classifier", Finished: true, Status: "finished", Metrics: map[string]any{"final_test_acc": 0.8512345}, Config: map[string]string{"train.lr": "0.1"}},
		{Path: "mlp-b", Kind: "classifier", Status: "diverged", Metrics: map[string]any{"final_test_acc": 0.1}, Config: map[string]string{"train.lr": "1"}},
		{Path: "study", Kind: "study", Status: "3/3 points, judged", Metrics: map[string]any{"pass": 5, "fail": 1}, Report: "study/report.html", Figures: []string{"study/figures/acc.png"}},
	}
	srv := httptest.NewServer(Handler(root, 5, staticList(rows...)))
	defer srv.Close()
	get := func(path string) string {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(b)
	}
	index := get("/")
	for _, want := range []string{`<meta http-equiv="refresh" content="5">`, "3 runs, studies and sweeps",
		"<h2>Studies</h2>", "<h2>Classifier runs</h2>", `id="runs-classifier"`, `<th title="final_test_acc">final_<wbr>test_<wbr>acc</th>`, `<th title="train.lr"><div class="cut">train.lr</div></th>`,
		`<td class="num" data-v="0.8512345">0.8512</td>`, "<td>diverged</td>", `<th title="fail">fail</th>`, `<td class="num" data-v="5">5</td>`,
		`href="/mlp-a/"`, `href="/study/report.html"`, `src="/study/figures/acc.png"`} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	if strings.Index(index, "<h2>Studies</h2>") > strings.Index(index, "<h2>Classifier runs</h2>") {
		t.Error("studies are not listed first")
	}
	var got []RunInfo
	if err := json.Unmarshal([]byte(get("/api/runs")), &got); err != nil || len(got) != 3 || got[0].Metrics["final_test_acc"] != 0.8512345 {
		t.Fatalf("api: %v %+v", err, got)
	}
	if !strings.HasPrefix(get("/study/figures/acc.png"), "\x89PNG") {
		t.Error("figure not served")
	}
}

// serve is read-only and confined: no dotfiles, no way out through a
// symlink, GET and HEAD only, Host checked on loopback, security headers
// on every answer, directory listings without dotfiles.
func TestHandlerIsConfined(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	os.WriteFile(filepath.Join(root, "run", "summary.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(root, "run", ".lock"), []byte(""), 0o644)
	os.WriteFile(filepath.Join(root, ".env"), []byte("TOKEN=x"), 0o644)
	os.Symlink(outside, filepath.Join(root, "escape"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "run", "leak"))
	os.Symlink(filepath.Join(root, "run", "summary.json"), filepath.Join(root, "inside"))
	h := Handler(root, 5, staticList())
	do := func(method, path, host string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		method, path, host string
		code               int
	}{
		{"GET", "/run/summary.json", "localhost:8080", 200},
		{"HEAD", "/run/summary.json", "127.0.0.1:8080", 200},
		{"GET", "/inside", "[::1]:8080", 200}, // a symlink that stays inside
		{"GET", "/.env", "localhost", 404},
		{"GET", "/run/.lock", "localhost", 404},
		{"GET", "/escape/secret", "localhost", 404},
		{"GET", "/run/leak", "localhost", 404},
		{"GET", "/../" + filepath.Base(outside) + "/secret", "localhost", 307}, // cleaned to /NAME/secret under root: 404 there
		{"GET", "/" + filepath.Base(outside) + "/secret", "localhost", 404},
		{"POST", "/run/summary.json", "localhost", 405},
		{"DELETE", "/run/summary.json", "localhost", 405},
		{"GET", "/run/summary.json", "evil.example:8080", 403}, // DNS rebinding
	} {
		rec := do(c.method, c.path, c.host)
		if rec.Code != c.code {
			t.Errorf("%s %s (Host %s): %d, want %d", c.method, c.path, c.host, rec.Code, c.code)
		}
		for _, hd := range []string{"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options"} {
			if rec.Header().Get(hd) == "" {
				t.Errorf("%s %s: no %s header", c.method, c.path, hd)
			}
		}
	}
	if rec := do("GET", "/run/", "localhost"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "summary.json") || strings.Contains(rec.Body.String(), ".lock") {
		t.Errorf("listing: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := do("GET", "/", "localhost"); !strings.Contains(rec.Header().Get("Content-Security-Policy"), scriptHash(indexScript)) {
		t.Error("the index's script is not admitted by its policy")
	}
	if NetworkHandler(root, 5, staticList()) == nil || !IsLoopbackAddr("localhost:8080") || IsLoopbackAddr(":8080") || IsLoopbackAddr("0.0.0.0:80") {
		t.Error("loopback address detection")
	}
}
