package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHTMLInlinesFigures(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "figures"), 0o755)
	p, _ := Lines("t", "x", "y", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}})
	if _, err := Save(p, filepath.Join(dir, "figures"), "f"); err != nil {
		t.Fatal(err)
	}
	md := "# Title <x>\n\nSome `code` text.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![f.png](figures/f.png)\n"
	out, err := HTML("T", md, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"<h1>Title &lt;x&gt;</h1>", "<code>code</code>", "<th>a</th>", `<td class="num">2</td>`, `src="data:image/png;base64,iVBOR`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(s, "---") {
		t.Error("separator row rendered")
	}
	if _, err := HTML("T", "![x](figures/missing.png)\n", dir); err == nil {
		t.Error("missing figure accepted")
	}
}

// A fenced block is one <pre> (a config is not a paragraph per line), and
// an escaped pipe stays inside its cell.
func TestHTMLCodeBlocksAndEscapedPipes(t *testing.T) {
	page, err := HTML("t", "# t\n\n```yaml\nname: a\ntrain: {lr: 0.1}\n```\n\n| a | b |\n|---|---|\n| KL(q \\|\\| p) | 2 |\n", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.Contains(s, "<pre>name: a\ntrain: {lr: 0.1}\n</pre>") || strings.Contains(s, "<p>name: a</p>") {
		t.Errorf("code block:\n%s", s)
	}
	if !strings.Contains(s, `<td>KL(q || p)</td><td class="num">2</td></tr>`) {
		t.Errorf("escaped pipes:\n%s", s)
	}
}

// Table cells holding numbers align right, sentences left (a verdict
// table's claims were right-aligned and ragged).
func TestHTMLAlignsNumbersOnly(t *testing.T) {
	page, err := HTML("t", "| claim | value | spread | verdict |\n|---|---|---|---|\n| Layer norm helps | -0.21 | 0.0261 ± 0.005 | PASS |\n| x | 1.2e-05 | 36% | – |\n", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{`<td>Layer norm helps</td>`, `<td class="num">-0.21</td>`, `<td class="num">0.0261 ± 0.005</td>`,
		`<td>PASS</td>`, `<td class="num">1.2e-05</td>`, `<td class="num">36%</td>`} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s in\n%s", want, s)
		}
	}
}
