package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// indexScript is the index page's only script (it reports whether every
// figure loaded); the content security policy admits exactly it.
const indexScript = `
function sortTable(th, dir) {
  const table = th.closest("table"), i = th.cellIndex, body = table.tBodies[0];
  const key = td => td.dataset.v !== undefined ? td.dataset.v : td.textContent;
  const rows = [...body.rows].sort((a, b) => {
    const x = key(a.cells[i]), y = key(b.cells[i]);
    const nx = parseFloat(x), ny = parseFloat(y);
    const c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, undefined, {numeric: true});
    return dir === "asc" ? c : -c;
  });
  rows.forEach(r => body.appendChild(r));
  table.querySelectorAll("th").forEach(h => delete h.dataset.dir);
  th.dataset.dir = dir;
}
document.querySelectorAll("table.runs th").forEach(th => th.addEventListener("click",
  () => sortTable(th, th.dataset.dir === "asc" ? "desc" : "asc")));
// #sort=COLUMN or #sort=COLUMN:desc sorts every table that has the column.
const m = location.hash.match(/^#sort=([^:]+)(?::(asc|desc))?$/);
if (m) document.querySelectorAll("table.runs th").forEach(th => {
  if (th.textContent === decodeURIComponent(m[1])) sortTable(th, m[2] || "asc");
});
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
});
`

func scriptHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// contentPolicy: pages load only this server's files, inline styles and
// figures (reports inline them as data: URIs), the index's one script, and
// cannot be framed.
var contentPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src " +
	scriptHash(indexScript) + "; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// guard makes h a read-only, local file server: GET and HEAD only, the
// security headers on every answer, and, when loopback is set, only Host
// headers naming this machine (a page on another site cannot reach the
// server through DNS rebinding).
func guard(h http.Handler, loopback bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", contentPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hd.Set("Allow", "GET, HEAD")
			http.Error(w, "read-only: GET and HEAD only", http.StatusMethodNotAllowed)
			return
		}
		if loopback && !loopbackHost(r.Host) {
			http.Error(w, "host not allowed: the server answers localhost only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackAddr reports whether a listen address binds only this
// machine (an empty host binds every interface).
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && loopbackHost(host)
}

// confinedFiles serves the files under root: no path segment starting
// with a dot (dotfiles, locks, temporary files), nothing a symlink leads
// to outside root, and directory listings without dotfiles.
func confinedFiles(root string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		realRoot, err := filepath.EvalSymlinks(root)
		if err == nil {
			realRoot, err = filepath.Abs(realRoot)
		}
		if err != nil {
			http.Error(w, "root unavailable", http.StatusInternalServerError)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ".") {
				http.NotFound(w, r)
				return
			}
		}
		real, err := filepath.EvalSymlinks(filepath.Join(realRoot, filepath.FromSlash(p)))
		if err != nil || (real != realRoot && !strings.HasPrefix(real, realRoot+string(filepath.Separator))) {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(real)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if st.IsDir() {
			if !strings.HasSuffix(r.URL.Path, "/") {
				http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
				return
			}
			listDir(w, f, p)
			return
		}
		http.ServeContent(w, r, st.Name(), st.ModTime(), f)
	})
}

// listDir writes a directory's entries, dotfiles left out.
func listDir(w http.ResponseWriter, f *os.File, p string) {
	entries, err := f.ReadDir(-1)
	if err != nil {
		http.Error(w, "cannot list directory", http.StatusInternalServerError)
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title></head><body><h1>%s</h1><ul>\n", html.EscapeString(p), html.EscapeString(p))
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") {
			continue
		}
		href := url.PathEscape(n)
		if e.IsDir() {
			n, href = n+"/", href+"/"
		}
		fmt.Fprintf(w, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(href), html.EscapeString(n))
	}
	fmt.Fprint(w, "</ul></body></html>\n")
}
