package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/runlist"
	"github.com/spf13/cobra"
)

func runsCmd() *cobra.Command {
	var asJSON, points, wide bool
	var sortKey string
	cmd := &cobra.Command{
		Use:     "runs [DIR]",
		Aliases: []string{"ls"},
		Short:   "List the runs, studies and sweeps under DIR with their status, headline results and differing config keys",
		Long: "runs (or ls) lists every run, study and sweep directory under DIR (default runs), one table per kind (each\n" +
			"study, sweeps, each kind of run): status, headline results (a study's verdict counts, a sweep's best\n" +
			"setting) and the config keys whose values differ among the rows of the table, one line per row, so runs\n" +
			"compare at a glance; a table fits $COLUMNS (default 120) unless --wide. --sort KEY orders by a result or config key (-KEY:\n" +
			"descending); --points lists the points of studies and sweeps too; `compare RUN...` puts runs side by side.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := "runs"
			if len(args) == 1 {
				root = args[0]
			}
			rows, err := runlist.Scan(root, points)
			if err != nil {
				return fmt.Errorf("runs %w", err)
			}
			if err := sortRows(rows, sortKey); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, rows)
			}
			printRows(out, rows, terminalWidth(), wide)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the rows as JSON")
	cmd.Flags().BoolVar(&points, "points", false, "include the points of studies and sweeps")
	cmd.Flags().BoolVar(&wide, "wide", false, "every differing config key and whole values (otherwise each table fits $COLUMNS, default 120)")
	cmd.Flags().StringVar(&sortKey, "sort", "path", "order by path, kind, status, a result key (e.g. final_test_acc) or a config key; -KEY descends")
	return cmd
}

// printRows prints one table per kind, as serve's index does: path,
// status, the kind's headline results, then the config keys that differ
// among its rows, one line per row; text left-aligned, numbers right.
// Unless wide, a table keeps within width columns: config columns that do
// not fit are left out (the table says how many) and long text is cut.
func printRows(out io.Writer, rows []report.RunInfo, width int, wide bool) {
	kinds, byKind := report.GroupByKind(rows)
	for i, kind := range kinds {
		if i > 0 {
			fmt.Fprintln(out)
		}
		runs := byKind[kind]
		metrics, config := report.Columns(runs)
		head := append([]string{"run", "status"}, metrics...)
		cells := make([][]string, len(runs))
		numeric := map[int]bool{}
		for r, run := range runs {
			cells[r] = []string{run.Path, run.Status}
			for _, m := range metrics {
				v, ok := run.Metrics[m]
				cells[r] = append(cells[r], cellText(v, ok, wide))
				if _, isNum := asNumber(v); isNum {
					if _, text := v.(string); !text {
						numeric[len(cells[r])-1] = true
					}
				}
			}
		}
		table := &textTable{head: head, rows: cells, numeric: numeric}
		if over := table.width() - width; !wide && over > 0 {
			table.cutStart(0, over)
		}
		hidden := 0 // headline columns left out on a narrow terminal (the last first)
		for !wide && table.width() > width && len(table.head) > 3 {
			table.dropLast()
			hidden++
		}
		left := 0
		for _, c := range config {
			col := make([]string, len(runs))
			for r, run := range runs {
				v, ok := run.Config[c]
				col[r] = cellText(v, ok, wide)
			}
			if !wide && (hidden > 0 || table.width()+2+colWidth(c, col) > width) {
				left++
				continue
			}
			table.add(c, col)
		}
		base := fmt.Sprintf("%s (%d)", report.KindTitle(kind), len(runs))
		title := base
		switch {
		case hidden > 0:
			cols := "result columns"
			if hidden == 1 {
				cols = "result column"
			}
			title += fmt.Sprintf(" — hidden: %d %s, config keys (--wide)", hidden, cols)
		case left > 0:
			title += fmt.Sprintf(" — %d differing config keys not shown: --wide", left)
		}
		if !wide && len([]rune(title)) > width && title != base {
			title = base + " — more with --wide"
		}
		fmt.Fprintln(out, title)
		table.print(out)
	}
}

// cellText is a value as a table cell: numbers short, text cut at 32
// characters unless wide, "–" for a missing value.
func cellText(v any, ok, wide bool) string {
	if !ok {
		return "–"
	}
	s := formatValue(v)
	if r := []rune(s); !wide && len(r) > 32 {
		s = string(r[:31]) + "…"
	}
	return s
}

// colWidth is the width of a column with header h and cells col.
func colWidth(h string, col []string) int {
	w := len([]rune(h))
	for _, c := range col {
		w = max(w, len([]rune(c)))
	}
	return w
}

// textTable is a table of text cells printed with aligned columns.
type textTable struct {
	head    []string
	rows    [][]string
	numeric map[int]bool // right-aligned columns
}

func (t *textTable) add(h string, col []string) {
	t.head = append(t.head, h)
	for r := range t.rows {
		t.rows[r] = append(t.rows[r], col[r])
	}
}

// cutStart narrows column c by up to n characters (to no less than 24),
// cutting its longest cells at the start: a path's last parts (the study,
// the point) are what tells rows apart.
func (t *textTable) cutStart(c, n int) {
	w := t.widths()[c]
	keep := max(24, w-n)
	for _, r := range t.rows {
		if rs := []rune(r[c]); len(rs) > keep {
			r[c] = "…" + string(rs[len(rs)-keep+1:])
		}
	}
}

// dropLast removes the last column.
func (t *textTable) dropLast() {
	n := len(t.head) - 1
	t.head = t.head[:n]
	for r := range t.rows {
		t.rows[r] = t.rows[r][:n]
	}
}

func (t *textTable) widths() []int {
	w := make([]int, len(t.head))
	for c, h := range t.head {
		col := make([]string, len(t.rows))
		for r := range t.rows {
			col[r] = t.rows[r][c]
		}
		w[c] = colWidth(h, col)
	}
	return w
}

func (t *textTable) width() int {
	n := 0
	for _, w := range t.widths() {
		n += w + 2
	}
	return n - 2
}

func (t *textTable) print(out io.Writer) {
	w := t.widths()
	line := func(cells []string) {
		var b strings.Builder
		for c, s := range cells {
			pad := strings.Repeat(" ", w[c]-len([]rune(s)))
			if c > 0 {
				b.WriteString("  ")
			}
			if t.numeric[c] {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	}
	line(t.head)
	for _, r := range t.rows {
		line(r)
	}
}

// terminalWidth is $COLUMNS, or 120 columns.
func terminalWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n >= 40 {
		return n
	}
	return 120
}

// sortRows orders rows by key (a leading "-" descends): path, kind,
// status, or a metric or config key, numbers as numbers. Rows without the
// key go last. An unknown key is an error naming the keys there are.
func sortRows(rows []report.RunInfo, key string) error {
	desc := strings.HasPrefix(key, "-")
	key = strings.TrimPrefix(key, "-")
	value := func(r report.RunInfo) (any, bool) {
		switch key {
		case "path":
			return r.Path, true
		case "kind":
			return r.Kind, true
		case "status":
			return r.Status, true
		}
		if v, ok := r.Metrics[key]; ok {
			return v, true
		}
		v, ok := r.Config[key]
		return v, ok
	}
	known := map[string]bool{"path": true, "kind": true, "status": true}
	for _, r := range rows {
		for k := range r.Metrics {
			known[k] = true
		}
		for k := range r.Config {
			known[k] = true
		}
	}
	if !known[key] && len(rows) > 0 {
		return fmt.Errorf("--sort %s: no row has it; sortable keys here: %s", key, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, okA := value(rows[i])
		b, okB := value(rows[j])
		if okA != okB {
			return okA // rows with the key first
		}
		if !okA {
			return false
		}
		c := compareValues(a, b)
		if desc {
			return c > 0
		}
		return c < 0
	})
	return nil
}

// compareValues orders numbers (and numeric strings) numerically, the
// rest as text.
func compareValues(a, b any) int {
	fa, okA := asNumber(a)
	fb, okB := asNumber(b)
	if okA && okB {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// printJSON writes v as indented JSON (the --json output of runs and
// compare).
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatValue prints a number with 4 significant digits, whole numbers
// (JSON has only float64) in full.
func formatValue(v any) string {
	if f, ok := v.(float64); ok {
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return strconv.FormatInt(int64(f), 10)
		}
		return fmt.Sprintf("%.4g", f)
	}
	return fmt.Sprint(v)
}
