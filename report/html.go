package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var imageLine = regexp.MustCompile(`^!\[([^\]]*)\]\(([^)]+)\)$`)

// HTML renders the restricted Markdown circuitry writes (headings,
// paragraphs, pipe tables, image lines) as one self-contained page: images
// referenced relative to baseDir are inlined as data URIs, so the file can
// be mailed or opened anywhere.
func HTML(title, markdown, baseDir string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%%;margin:0.5em 0;border:1px solid #eee}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:0.5em}
</style></head><body>
`, html.EscapeString(title))
	lines := strings.Split(markdown, "\n")
	inFigs := false
	closeFigs := func() {
		if inFigs {
			b.WriteString("</div>\n")
			inFigs = false
		}
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " ")
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "```"):
			closeFigs()
			b.WriteString("<pre>")
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				b.WriteString(html.EscapeString(lines[i]) + "\n")
			}
			b.WriteString("</pre>\n")
		case strings.HasPrefix(line, "#"):
			closeFigs()
			level := len(line) - len(strings.TrimLeft(line, "#"))
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", level, inline(strings.TrimSpace(line[level:])), level)
		case strings.HasPrefix(line, "|"):
			closeFigs()
			var rows [][]string
			for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
				cells := splitCells(lines[i])
				if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
					continue // the separator row
				}
				rows = append(rows, cells)
			}
			i--
			writeTable(&b, rows)
		case imageLine.MatchString(line):
			m := imageLine.FindStringSubmatch(line)
			data, err := os.ReadFile(filepath.Join(baseDir, m[2]))
			if err != nil {
				return nil, fmt.Errorf("report: figure %s: %w", m[2], err)
			}
			if !inFigs {
				b.WriteString(`<div class="figs">` + "\n")
				inFigs = true
			}
			fmt.Fprintf(&b, `<img alt="%s" src="data:image/png;base64,%s">`+"\n", html.EscapeString(m[1]), base64.StdEncoding.EncodeToString(data))
		default:
			closeFigs()
			fmt.Fprintf(&b, "<p>%s</p>\n", inline(line))
		}
	}
	closeFigs()
	b.WriteString("</body></html>\n")
	return b.Bytes(), nil
}

// splitCells splits a Markdown table row at its unescaped pipes (\| is a
// pipe inside a cell).
// numericCell matches a cell that is a number (with sign, exponent,
// percent or a ± spread), or a dash for none.
var numericCell = regexp.MustCompile(`^[-+–]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?( ± [-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)?$|^[–-]$`)

func splitCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(cells, cur.String())
}

var code = regexp.MustCompile("`([^`]+)`")

// inline escapes text and renders `code` spans.
func inline(s string) string {
	return code.ReplaceAllString(html.EscapeString(s), "<code>$1</code>")
}

// writeTable writes rows as an HTML table, the first row as its header; cells
// that hold a number align right, sentences left.
func writeTable(b *bytes.Buffer, rows [][]string) {
	b.WriteString("<table>\n")
	for r, cells := range rows {
		tag := "td"
		if r == 0 {
			tag = "th"
		}
		b.WriteString("<tr>")
		for _, c := range cells {
			c = strings.TrimSpace(c)
			open := tag
			if tag == "td" && numericCell.MatchString(c) {
				open = `td class="num"`
			}
			fmt.Fprintf(b, "<%s>%s</%s>", open, inline(c), tag)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
}
