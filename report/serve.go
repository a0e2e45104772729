package report

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// RunInfo is one run, study or sweep found under a served root (package
// runlist finds them).
type RunInfo struct {
	Path     string            `json:"path"`             // relative to the root, slash-separated
	Kind     string            `json:"kind"`             // the run's kind (classifier, reactivation, ...), study or sweep
	Finished bool              `json:"finished"`         // a run's record says finished; a study's or sweep's every point did
	Status   string            `json:"status"`           // finished, unfinished, diverged; "12/180 points" for a study or sweep
	Points   *PointCount       `json:"points,omitempty"` // a study's or sweep's points (the status says the same)
	Metrics  map[string]any    `json:"metrics"`          // headline results (summary fields; verdict counts)
	Config   map[string]string `json:"config_differs"`   // config keys whose values differ among the rows of its kind
	Report   string            `json:"report"`           // relative path of report.html, if any
	Figures  []string          `json:"figures"`          // relative paths of PNG figures
	Modified time.Time         `json:"modified"`
}

// PointCount is how many of a study's or sweep's points finished.
type PointCount struct {
	Finished int `json:"finished"`
	Total    int `json:"total"`
}

// Lister lists the runs under root (runlist.Scan without points).
type Lister func(root string) ([]RunInfo, error)

// Handler serves root read-only to this machine: "/" is an index of runs
// that refreshes itself every refresh seconds while runs progress,
// "/api/runs" the same list as JSON, and everything else the files under
// root (confined to it, no dotfiles). Requests must be GET or HEAD and name
// a loopback host; every answer carries the security headers.
func Handler(root string, refresh int, list Lister) http.Handler {
	return guard(handler(root, refresh, list), true)
}

// NetworkHandler is Handler for a server bound beyond loopback (`serve
// --addr 0.0.0.0:8080`): the same, without the Host check.
func NetworkHandler(root string, refresh int, list Lister) http.Handler {
	return guard(handler(root, refresh, list), false)
}

func handler(root string, refresh int, list Lister) http.Handler {
	mux := http.NewServeMux()
	files := confinedFiles(root)
	mux.HandleFunc("/api/runs", func(w http.ResponseWriter, r *http.Request) {
		runs, err := list(root)
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
		runs, err := list(root)
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
<style>body{font-family:system-ui,sans-serif;margin:2em;padding:0}
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left;white-space:nowrap}th{white-space:normal;vertical-align:bottom}
table.runs{font-size:0.85em}div.cut{max-width:11em;overflow:hidden;text-overflow:ellipsis}
td.path div.cut{max-width:24em;direction:rtl;text-align:left}td.path bdi{direction:ltr}
th{cursor:pointer;background:#f4f4f4}th[data-dir=asc]::after{content:" \25B2"}th[data-dir=desc]::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}img{height:44px;margin:1px;border:1px solid #eee;vertical-align:middle}</style></head><body>
<h1>circuitry runs in %s</h1><p id="count">%d runs, studies and sweeps; this page refreshes every %d s.
Click a column's header to sort by it.</p>
`, refresh, html.EscapeString(root), len(runs), refresh)
	kinds, byKind := GroupByKind(runs)
	for _, k := range kinds {
		kindTable(&b, k, byKind[k])
	}
	// Sorting, and letting a headless browser (and the tests) see whether
	// every figure loaded.
	b.WriteString("<script>" + indexScript + "</script></body></html>\n")
	return b.String()
}

// StudyKind is the row kind of a study directory of the named study
// ("study: inhibitory-normalization"): each study gets its own table.
func StudyKind(name string) string { return "study: " + name }

// IsStudy says whether a row kind is a study directory's.
func IsStudy(kind string) bool { return kind == "study" || strings.HasPrefix(kind, "study: ") }

// GroupByKind splits rows into one group per kind, in table order:
// studies, sweeps, then single runs by kind.
func GroupByKind(runs []RunInfo) (kinds []string, byKind map[string][]RunInfo) {
	byKind = map[string][]RunInfo{}
	for _, r := range runs {
		if _, ok := byKind[r.Kind]; !ok {
			kinds = append(kinds, r.Kind)
		}
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	sort.Slice(kinds, func(i, j int) bool { return kindOrder(kinds[i]) < kindOrder(kinds[j]) })
	return kinds, byKind
}

// kindOrder puts studies first, then sweeps, then single runs by kind.
func kindOrder(k string) string {
	switch {
	case IsStudy(k):
		return "0" + k
	case k == "sweep":
		return "1"
	}
	return "2" + k
}

// KindTitle titles a kind's table: "Studies: inhibitory-normalization",
// "Sweeps", "Classifier runs".
func KindTitle(kind string) string {
	if t, ok := kindTitles[kind]; ok {
		return t
	}
	if name, ok := strings.CutPrefix(kind, "study: "); ok {
		return "Studies: " + name
	}
	if kind == "" {
		return "Runs"
	}
	return strings.ToUpper(kind[:1]) + kind[1:] + " runs"
}

// kindTitles title the engine's own kinds; a run kind is titled by its
// name ("classifier" -> "Classifier runs").
var kindTitles = map[string]string{"study": "Studies", "sweep": "Sweeps", "slurm plan": "Slurm plans (reproduce --slurm)"}

// kindTable writes one sortable table: a kind's runs with a column per
// headline result and per config key that differs among them.
func kindTable(b *strings.Builder, kind string, runs []RunInfo) {
	metrics, config := Columns(runs)
	n := configColumns(runs, metrics, config)
	shown, other := config[:n], config[n:]
	id := strings.NewReplacer(" ", "-", ":", "").Replace(kind)
	fmt.Fprintf(b, "<h2>%s</h2>\n<table class=\"runs\" id=\"runs-%s\"><thead><tr><th>path</th><th>status</th>", html.EscapeString(KindTitle(kind)), html.EscapeString(id))
	for _, m := range metrics {
		fmt.Fprintf(b, `<th title="%s">%s</th>`, html.EscapeString(m), breakable(m))
	}
	for _, c := range shown {
		fmt.Fprintf(b, `<th title="%[1]s"><div class="cut">%[1]s</div></th>`, html.EscapeString(c))
	}
	if len(other) > 0 {
		fmt.Fprintf(b, "<th>%d more differing keys</th>", len(other))
	}
	b.WriteString("<th>report</th><th>figures</th></tr></thead><tbody>\n")
	for _, r := range runs {
		// The path's end names the run: cut it at the start, not the end.
		fmt.Fprintf(b, `<tr class="run"><td class="path" title="%[1]s"><div class="cut"><bdi><a href="/%[1]s/">%[1]s</a></bdi></div></td><td>%[2]s</td>`, html.EscapeString(r.Path), html.EscapeString(r.Status))
		for _, m := range metrics {
			b.WriteString(cell(r.Metrics[m]))
		}
		for _, c := range shown {
			v, ok := r.Config[c]
			if !ok {
				b.WriteString("<td></td>")
				continue
			}
			b.WriteString(cell(v))
		}
		if len(other) > 0 {
			var kv []string
			for _, c := range other {
				if v, ok := r.Config[c]; ok {
					kv = append(kv, c+"="+v)
				}
			}
			b.WriteString(cell(strings.Join(kv, " ")))
		}
		report := ""
		if r.Report != "" {
			report = fmt.Sprintf(`<a href="/%s">report</a>`, html.EscapeString(r.Report))
		}
		var figs strings.Builder
		for i, f := range r.Figures {
			if i == 3 {
				break
			}
			fmt.Fprintf(&figs, `<img src="/%s" alt="%s">`, html.EscapeString(f), html.EscapeString(filepath.Base(f)))
		}
		fmt.Fprintf(b, "<td>%s</td><td>%s</td></tr>\n", report, figs.String())
	}
	b.WriteString("</tbody></table>\n")
}

// maxConfigColumns is how many differing config keys at most get a column
// of their own in the index; the others share one cell (whole on hover).
const maxConfigColumns = 3

// tableBudgetEm is the width a table may take, in em of its 0.85em font:
// a 1400 px window less the page's margins is ~98em; the rest is slack
// for the estimate, which errs wide (0.6em a character is more than most
// of system-ui's glyphs take).
const tableBudgetEm = 95

// configColumns is how many of the differing config keys get a column of
// their own: up to maxConfigColumns, as many as keep the estimated table
// width (path, status, every headline result, the shared cell of the
// other keys, report, figures) within tableBudgetEm.
func configColumns(runs []RunInfo, metrics, config []string) int {
	col := func(head string, cells func(RunInfo) string, cut float64) float64 {
		w := longestPart(head)
		for _, r := range runs {
			w = max(w, len([]rune(cells(r))))
		}
		return min(cut, 0.6*float64(w)) + 1.3 // text at ~0.6em a character, then padding and border
	}
	const cutEm, pathEm = 11, 24 // div.cut's max-width; a path's
	figures := 0
	for _, r := range runs {
		figures = max(figures, min(3, len(r.Figures)))
	}
	used := col("path", func(r RunInfo) string { return r.Path }, pathEm) +
		col("status", func(r RunInfo) string { return r.Status }, 100) +
		5 + max(5, 5.5*float64(figures)) // report; figure thumbnails (44 px high)
	for _, m := range metrics {
		used += col(m, func(r RunInfo) string { return cellText(r.Metrics[m]) }, 100)
	}
	n := 0
	for n < min(len(config), maxConfigColumns) {
		c := config[n]
		w := col(c, func(r RunInfo) string { return r.Config[c] }, cutEm)
		shared := 0.0
		if n+1 < len(config) {
			shared = cutEm + 1.3 // the cell the keys after it share
		}
		if used+w+shared > tableBudgetEm {
			break
		}
		used += w
		n++
	}
	return n
}

// longestPart is the length of the longest piece of a header that breaks
// after "_" and "." (breakable).
func longestPart(h string) int {
	n := 0
	for _, p := range strings.FieldsFunc(h, func(r rune) bool { return r == '_' || r == '.' }) {
		n = max(n, len([]rune(p))+1)
	}
	return n
}

// breakable is h escaped for HTML with a line-break opportunity after
// each "_" and ".", so long headers (kl_quiescent_waking) wrap, not widen.
func breakable(h string) string {
	return strings.NewReplacer("_", "_<wbr>", ".", ".<wbr>").Replace(html.EscapeString(h))
}

// cellText is the text cell shows for v (configColumns measures it).
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return fmt.Sprintf("%.4g", x)
	}
	return fmt.Sprint(v)
}

// Columns are the metric keys and differing config keys of runs, in
// first-seen order for metrics (the headline order) and sorted for config.
func Columns(runs []RunInfo) (metrics, config []string) {
	seenM, seenC := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		keys := make([]string, 0, len(r.Metrics))
		for k := range r.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !seenM[k] {
				seenM[k] = true
				metrics = append(metrics, k)
			}
		}
		for k := range r.Config {
			if !seenC[k] {
				seenC[k] = true
				config = append(config, k)
			}
		}
	}
	sort.Strings(config)
	return metrics, config
}

// cell is one value's table cell; numbers carry data-v (the full value)
// so the table sorts numerically, and print with 4 significant digits.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "<td></td>"
	case float64:
		return fmt.Sprintf(`<td class="num" data-v="%g">%s</td>`, x, cellText(x))
	case int:
		return fmt.Sprintf(`<td class="num" data-v="%d">%s</td>`, x, cellText(x))
	}
	t := html.EscapeString(cellText(v))
	// A table cell ignores max-width; the div inside it does not.
	return `<td title="` + t + `"><div class="cut">` + t + "</div></td>" // the whole value on hover where it is cut
}
