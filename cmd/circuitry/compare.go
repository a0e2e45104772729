package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/circuitry-lab/circuitry/internal/fsutil"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/spf13/cobra"
)

// comparison is `compare`'s result: the runs, the config keys whose
// values differ among them, and their summaries' fields, side by side.
type comparison struct {
	Runs    []string                     `json:"runs"`
	Config  map[string][]string          `json:"config_differs"` // key -> value per run ("" where a run lacks it)
	Results map[string][]json.RawMessage `json:"results"`        // summary field -> value per run (null where absent)
}

func compareCmd() *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "compare RUN RUN...",
		Short: "Put runs side by side: the config keys that differ between them and their results",
		Long: "compare reads each RUN's config.yaml and summary.json and prints one column per run: first the config\n" +
			"keys whose values differ (--all: every key), then every scalar result of the summaries.",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := compareRuns(args, all)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, c)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprint(tw, "key")
			for _, r := range c.Runs {
				fmt.Fprintf(tw, "\t%s", r)
			}
			fmt.Fprintln(tw)
			for _, k := range slices.Sorted(maps.Keys(c.Config)) {
				fmt.Fprintf(tw, "config %s", k)
				for _, v := range c.Config[k] {
					fmt.Fprintf(tw, "\t%s", v)
				}
				fmt.Fprintln(tw)
			}
			for _, k := range slices.Sorted(maps.Keys(c.Results)) {
				fmt.Fprint(tw, k)
				for _, v := range c.Results[k] {
					fmt.Fprintf(tw, "\t%s", rawValue(v))
				}
				fmt.Fprintln(tw)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	cmd.Flags().BoolVar(&all, "all", false, "show every config key, not only those that differ")
	return cmd
}

// compareRuns reads the runs; a directory that is not a run is an error
// naming it.
func compareRuns(dirs []string, all bool) (*comparison, error) {
	c := &comparison{Config: map[string][]string{}, Results: map[string][]json.RawMessage{}}
	configs := make([]map[string]string, len(dirs))
	sums := make([]map[string]json.RawMessage, len(dirs))
	for i, d := range dirs {
		if _, err := experiment.ReadRecord(d); err != nil {
			return nil, fmt.Errorf("compare %s: not a run directory (no valid run.json): %w", d, err)
		}
		b, err := experiment.ReadConfigFile(filepath.Join(d, "config.yaml"))
		if err != nil {
			return nil, fmt.Errorf("compare %s: %w", d, err)
		}
		if configs[i], err = experiment.FlattenConfig(b); err != nil {
			return nil, fmt.Errorf("compare %s: config.yaml: %w", d, err)
		}
		// An unfinished run has no summary yet; anything else unreadable is
		// an error naming the file.
		b, err = fsutil.ReadRegular(filepath.Join(d, "summary.json"), fsutil.MaxSummaryBytes)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("compare %s: %w", d, err)
		default:
			if err := json.Unmarshal(b, &sums[i]); err != nil {
				return nil, fmt.Errorf("compare %s: summary.json: %w", d, err)
			}
		}
		c.Runs = append(c.Runs, d)
	}
	keys := map[string]bool{}
	for _, cfg := range configs {
		for k := range cfg {
			keys[k] = true
		}
	}
	for k := range keys {
		vals := make([]string, len(dirs))
		same := true
		for i, cfg := range configs {
			vals[i] = cfg[k]
			same = same && vals[i] == vals[0]
		}
		if all || !same {
			c.Config[k] = vals
		}
	}
	fields := map[string]bool{}
	for _, s := range sums {
		for k, v := range s {
			if len(v) > 0 && v[0] != '{' && v[0] != '[' { // scalars only
				fields[k] = true
			}
		}
	}
	for k := range fields {
		vals := make([]json.RawMessage, len(dirs))
		for i, s := range sums {
			vals[i] = s[k]
			if vals[i] == nil {
				vals[i] = json.RawMessage("null")
			}
		}
		c.Results[k] = vals
	}
	return c, nil
}

// rawValue prints a JSON scalar: strings unquoted, numbers short.
func rawValue(v json.RawMessage) string {
	var x any
	if json.Unmarshal(v, &x) != nil || x == nil {
		return "–"
	}
	return formatValue(x)
}
