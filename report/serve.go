package report

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// RunInfo is one run or study directory found under a served root.
type RunInfo struct {
	Path     string    `json:"path"`     // relative to the root, slash-separated
	Kind     string    `json:"kind"`     // run | study
	Finished bool      `json:"finished"` // summary.json (run) or a report (study) exists
	Report   string    `json:"report"`   // relative path of report.html, if any
	Figures  []string  `json:"figures"`  // relative paths of PNG figures
	Modified time.Time `json:"modified"`
}

// ScanRuns lists run directories (holding config.yaml or study.yaml or a
// report) under root, newest first.
func ScanRuns(root string) ([]RunInfo, error) {
	var runs []RunInfo
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		has := func(name string) bool { _, err := os.Stat(filepath.Join(path, name)); return err == nil }
		isStudy := has("study.yaml") || has("report.md") || has("comparison.md")
		if !isStudy && !has("config.yaml") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		info := RunInfo{Path: filepath.ToSlash(rel), Kind: "run", Finished: has("summary.json")}
		if isStudy {
			info.Kind, info.Finished = "study", has("report.html")
		}
		if has("report.html") {
			info.Report = filepath.ToSlash(filepath.Join(rel, "report.html"))
		}
		figs, _ := filepath.Glob(filepath.Join(path, "figures", "*.png"))
		for _, f := range figs {
			r, _ := filepath.Rel(root, f)
			info.Figures = append(info.Figures, filepath.ToSlash(r))
		}
		if st, err := os.Stat(path); err == nil {
			info.Modified = st.ModTime()
		}
		runs = append(runs, info)
		if isStudy {
			return filepath.SkipDir // a study's points are listed on its own page
		}
		return nil
	})
	sort.Slice(runs, func(i, j int) bool { return runs[i].Modified.After(runs[j].Modified) })
	return runs, err
}

// Handler serves root read-only to this machine: "/" is an index of runs
// that refreshes itself every refresh seconds while runs progress,
// "/api/runs" the same list as JSON, and everything else the files under
// root (confined to it, no dotfiles). Requests must be GET or HEAD and name
// a loopback host; every answer carries the security headers.
func Handler(root string, refresh int) http.Handler { return guard(handler(root, refresh), true) }

// NetworkHandler is Handler for a server bound beyond loopback (`serve
// --addr 0.0.0.0:8080`): the same, without the Host check.
func NetworkHandler(root string, refresh int) http.Handler {
	return guard(handler(root, refresh), false)
}

func handler(root string, refresh int) http.Handler {
	mux := http.NewServeMux()
	files := confinedFiles(root)
	mux.HandleFunc("/api/runs", func(w http.ResponseWriter, r *http.Request) {
		runs, err := ScanRuns(root)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(runs)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			files.ServeHTTP(w, r)
			return
		}
		runs, err := ScanRuns(root)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, indexPage(root, runs, refresh))
	})
	return mux
}

func indexPage(root string, runs []RunInfo, refresh int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="%d"><title>circuitry runs</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left}
img{height:120px;margin:2px;border:1px solid #eee}</style></head><body>
<h1>circuitry runs in %s</h1><p id="count">%d runs and studies; this page refreshes every %d s.</p>
<table id="runs"><tr><th>path</th><th>kind</th><th>state</th><th>report</th><th>figures</th></tr>
`, refresh, html.EscapeString(root), len(runs), refresh)
	for _, r := range runs {
		state := "running or stopped"
		if r.Finished {
			state = "finished"
		}
		report := ""
		if r.Report != "" {
			report = fmt.Sprintf(`<a href="/%s">report</a>`, html.EscapeString(r.Report))
		}
		var figs strings.Builder
		for i, f := range r.Figures {
			if i == 4 {
				break
			}
			fmt.Fprintf(&figs, `<img src="/%s" alt="%s">`, html.EscapeString(f), html.EscapeString(filepath.Base(f)))
		}
		fmt.Fprintf(&b, "<tr class=\"run\"><td><a href=\"/%s/\">%s</a></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			html.EscapeString(r.Path), html.EscapeString(r.Path), r.Kind, state, report, figs.String())
	}
	// Lets a headless browser (and the tests) see whether every figure loaded.
	b.WriteString("</table><script>" + indexScript + "</script></body></html>\n")
	return b.String()
}
