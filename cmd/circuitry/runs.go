package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/spf13/cobra"
)

// runRow is one line of `circuitry runs`.
type runRow struct {
	Path     string            `json:"path"`
	Kind     string            `json:"kind"`
	Finished bool              `json:"finished"`
	Metrics  map[string]any    `json:"metrics"`
	Differs  map[string]string `json:"config_differs"` // the config keys whose values differ between the runs listed
}

// headline are the summary fields `runs` shows, by run kind.
var headline = map[string][]string{
	"classifier":   {"final_test_acc", "clean_test_acc", "diverged", "epoch_seconds"},
	"reactivation": {"decode_err", "kl_quiescent_waking", "quiescent_variance", "seconds_per_step"},
}

func runsCmd() *cobra.Command {
	var asJSON, points bool
	cmd := &cobra.Command{
		Use:   "runs [DIR]",
		Short: "List the runs under DIR with their headline results and the config keys that differ between them",
		Long: "runs lists every run directory under DIR (default runs): kind, finished, headline results, and the config\n" +
			"keys whose values differ among the runs listed, so two runs compare at a glance. Study and sweep points\n" +
			"are listed too with --points.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := "runs"
			if len(args) == 1 {
				root = args[0]
			}
			rows, err := scanRunRows(root, points)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "run\tkind\tfinished\tresults\tdiffering config")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", r.Path, r.Kind, r.Finished, formatPairs(r.Metrics), formatPairs(r.Differs))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the rows as JSON")
	cmd.Flags().BoolVar(&points, "points", false, "include the points of studies and sweeps")
	return cmd
}

// scanRunRows finds run directories (those with run.json) under root.
func scanRunRows(root string, points bool) ([]runRow, error) {
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("runs %s: not a directory", root)
	}
	var rows []runRow
	configs := map[string]map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") || d.Name() == "analyses" {
			return filepath.SkipDir
		}
		if d.Name() == "runs" && path != root && !points {
			return filepath.SkipDir // a study's or sweep's points
		}
		rec, err := experiment.ReadRecord(path)
		if err != nil {
			return nil // not a run (or not one of this circuitry)
		}
		rel, _ := filepath.Rel(root, path)
		row := runRow{Path: filepath.ToSlash(rel), Kind: rec.Kind, Finished: rec.Finished, Metrics: map[string]any{}}
		var sum map[string]any
		if b, err := os.ReadFile(filepath.Join(path, "summary.json")); err == nil && json.Unmarshal(b, &sum) == nil {
			for _, k := range headline[rec.Kind] {
				if v, ok := sum[k]; ok {
					row.Metrics[k] = v
				}
			}
		}
		if b, err := experiment.ReadConfigFile(filepath.Join(path, "config.yaml")); err == nil {
			if flat, err := experiment.FlattenConfig(b); err == nil {
				configs[row.Path] = flat
			}
		}
		rows = append(rows, row)
		return filepath.SkipDir
	})
	if err != nil {
		return nil, err
	}
	// Runs compare with the others of their kind: the keys that do not
	// have one value across all of them.
	for i := range rows {
		rows[i].Differs = map[string]string{}
		for j := range rows {
			if rows[j].Kind != rows[i].Kind {
				continue
			}
			a, b := configs[rows[i].Path], configs[rows[j].Path]
			for k, v := range a {
				if w, ok := b[k]; (!ok || w != v) && k != "name" && k != "out.dir" {
					rows[i].Differs[k] = v
				}
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	return rows, nil
}

// formatPairs prints a map as sorted key=value pairs (numbers short).
func formatPairs[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := any(m[k])
		if f, ok := v.(float64); ok {
			v = fmt.Sprintf("%.4g", f)
		}
		parts[i] = fmt.Sprintf("%s=%v", k, v)
	}
	return strings.Join(parts, " ")
}
