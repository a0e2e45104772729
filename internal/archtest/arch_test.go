// Package archtest checks docs/architecture.md's table of floors against
// the import graph `go list` reports, so the documented architecture
// cannot drift from the code.
package archtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/circuitry-lab/circuitry/"

// row is one package's line of the table.
type row struct {
	floor int
	may   string // the "may import" cell
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readTable parses the table: package -> its floor and "may import" cell.
func readTable(t *testing.T) map[string]row {
	b, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]row{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 {
			continue
		}
		floor, err := strconv.Atoi(strings.TrimSpace(cells[1]))
		if err != nil {
			continue // the header
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[2], -1) {
			table[m[1]] = row{floor, strings.TrimSpace(cells[4])}
		}
	}
	return table
}

// allowed says whether a package with row r may import q, by the cell's
// rules: "—" nothing; `pkg` (globs allowed: `task/*`) that package;
// "floor N", "floors A-B"; "`pkg` and below" that package and every
// package on a lower floor than its; "anything below" a lower floor;
// "anything".
func allowed(table map[string]row, r row, q string) bool {
	may := r.may
	if strings.Contains(may, "anything below") {
		return table[q].floor < r.floor
	}
	if strings.HasPrefix(may, "anything") {
		return true
	}
	for _, m := range regexp.MustCompile(`floors? (\d)(?:-(\d))?`).FindAllStringSubmatch(may, -1) {
		lo, _ := strconv.Atoi(m[1])
		hi := lo
		if m[2] != "" {
			hi, _ = strconv.Atoi(m[2])
		}
		if f := table[q].floor; f >= lo && f <= hi {
			return true
		}
	}
	for _, m := range regexp.MustCompile("`([^`]+)`( and below)?").FindAllStringSubmatch(may, -1) {
		if ok, _ := path.Match(m[1], q); ok || m[1] == q {
			return true
		}
		if m[2] != "" && table[q].floor < table[m[1]].floor {
			return true
		}
	}
	return false
}

// Every package of the module (test-only ones aside) has a row, and every
// import between them is one its row allows.
func TestArchitectureTable(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "../../...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	table := readTable(t)
	if len(table) < 20 {
		t.Fatalf("parsed %d packages from docs/architecture.md: the table's format changed", len(table))
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for dec.More() {
		var p struct {
			ImportPath string
			GoFiles    []string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		if len(p.GoFiles) == 0 || strings.HasPrefix(name, "runs/") {
			continue
		}
		n++
		r, ok := table[name]
		if !ok {
			t.Errorf("%s: not in docs/architecture.md's table", name)
			continue
		}
		for _, imp := range p.Imports {
			q, ours := strings.CutPrefix(imp, module)
			if ours && !allowed(table, r, q) {
				t.Errorf("%s (floor %d, may import %q) imports %s (floor %d)", name, r.floor, r.may, q, table[q].floor)
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list gave %d packages", n)
	}
}
