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

func TestHandlerListsRunsAndFigures(t *testing.T) {
	root := t.TempDir()
	run := filepath.Join(root, "mlp")
	study := filepath.Join(root, "study")
	os.MkdirAll(run, 0o755)
	os.MkdirAll(filepath.Join(study, "figures"), 0o755)
	os.MkdirAll(filepath.Join(study, "runs", "p1"), 0o755)
	os.WriteFile(filepath.Join(run, "config.yaml"), []byte("name: mlp\n"), 0o644)
	os.WriteFile(filepath.Join(study, "study.yaml"), []byte("x: 1\n"), 0o644)
	os.WriteFile(filepath.Join(study, "runs", "p1", "config.yaml"), []byte("x: 1\n"), 0o644)
	p, _ := Lines("t", "x", "y", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}})
	Save(p, filepath.Join(study, "figures"), "acc")
	page, _ := HTML("study", "# study\n\n![acc.png](figures/acc.png)\n", study)
	os.WriteFile(filepath.Join(study, "report.html"), page, 0o644)

	srv := httptest.NewServer(Handler(root, 5))
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
	for _, want := range []string{`<meta http-equiv="refresh" content="5">`, `href="/mlp/"`, `href="/study/report.html"`, `src="/study/figures/acc.png"`, "2 runs and studies"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	if strings.Contains(index, "p1") {
		t.Error("a study's points are listed on the index")
	}
	var runs []RunInfo
	if err := json.Unmarshal([]byte(get("/api/runs")), &runs); err != nil || len(runs) != 2 {
		t.Fatalf("api: %v %+v", err, runs)
	}
	if !strings.HasPrefix(get("/study/figures/acc.png"), "\x89PNG") {
		t.Error("figure not served")
	}
}
