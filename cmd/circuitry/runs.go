package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/runlist"
	"github.com/spf13/cobra"
)

func runsCmd() *cobra.Command {
	var asJSON, points bool
	var sortKey string
	cmd := &cobra.Command{
		Use:     "runs [DIR]",
		Aliases: []string{"ls"},
		Short:   "List the runs, studies and sweeps under DIR with their status, headline results and differing config keys",
		Long: "runs (or ls) lists every run, study and sweep directory under DIR (default runs): kind, status, headline\n" +
			"results (a study's verdict counts, a sweep's best setting), and the config keys whose values differ among\n" +
			"the rows of one kind, so runs compare at a glance. --sort KEY orders by a result or config key (-KEY:\n" +
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
			printRows(out, rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the rows as JSON")
	cmd.Flags().BoolVar(&points, "points", false, "include the points of studies and sweeps")
	cmd.Flags().StringVar(&sortKey, "sort", "path", "order by path, kind, status, a result key (e.g. final_test_acc) or a config key; -KEY descends")
	return cmd
}

// configWidth is where a row's differing config wraps: a study's points
// differ in dozens of keys, which on one line ran to 700 characters.
const configWidth = 100

// printRows prints a table of run, kind, status and results, each row's
// differing config keys on indented lines below it, wrapped; the columns
// are aligned over all rows (a tabwriter would restart its alignment at
// every config line).
func printRows(out io.Writer, rows []report.RunInfo) {
	table := [][]string{{"run", "kind", "status", "results"}}
	for _, r := range rows {
		table = append(table, []string{r.Path, r.Kind, r.Status, formatPairs(r.Metrics)})
	}
	width := make([]int, 3)
	for _, cells := range table {
		for c := range width {
			width[c] = max(width[c], len(cells[c]))
		}
	}
	for i, cells := range table {
		fmt.Fprintf(out, "%-*s  %-*s  %-*s  %s\n", width[0], cells[0], width[1], cells[1], width[2], cells[2], cells[3])
		if i == 0 {
			continue
		}
		for _, line := range wrapWords(formatPairs(rows[i-1].Config), configWidth) {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
}

// wrapWords splits s at spaces into lines of at most width characters (a
// longer word gets its own line).
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
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

// formatPairs prints a map as sorted key=value pairs (numbers short).
func formatPairs[V any](m map[string]V) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%s", k, formatValue(m[k]))
	}
	return strings.Join(parts, " ")
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
