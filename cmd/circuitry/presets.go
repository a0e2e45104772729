package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/circuitry-lab/circuitry/configs"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/spf13/cobra"
)

// readConfig reads a config file, or, when no such file exists, the
// embedded preset of that name (configs/X.yaml or X.yaml, with or without
// .yaml), so preset paths work from any directory. It says which on log.
func readConfig(p string, log func(string)) ([]byte, error) {
	if _, err := os.Stat(p); err == nil || !errors.Is(err, os.ErrNotExist) {
		return experiment.ReadConfigFile(p)
	}
	if data, name, err := configs.Read(filepath.Clean(p)); err == nil {
		log(fmt.Sprintf("%s: no such file here; using the embedded preset configs/%s", p, name))
		return data, nil
	}
	return nil, fmt.Errorf("config %s: no such file, and no preset of that name (`circuitry presets` lists them)", p)
}

// readPreset reads an embedded preset by name (configs/ and .yaml
// optional). It reads nothing else: a name that leaves the presets
// (../../etc/passwd) or names no preset is an error.
func readPreset(name string) ([]byte, error) {
	data, _, err := configs.Read(name)
	switch {
	case errors.Is(err, fs.ErrInvalid):
		return nil, fmt.Errorf("preset %s: not a preset name (`circuitry presets` lists them)", name)
	case err != nil:
		return nil, fmt.Errorf("preset %s: no such preset (`circuitry presets` lists them)", name)
	}
	return data, nil
}

// presetNames lists the embedded presets, relative to configs/.
func presetNames() []string {
	var names []string
	fs.WalkDir(configs.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	return names
}

func presetsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "presets [NAME]",
		Short: "List the embedded presets, or print one (usable from any directory as configs/NAME)",
		Args:  cobra.MaximumNArgs(1),
		RunE:  showPresets,
	}
}

// configCmd is `config list` and `config show NAME`: presets under the
// name a PyTorch user looks for first.
func configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "List or print the embedded presets (config show NAME = presets NAME)"}
	cmd.AddCommand(&cobra.Command{Use: "list", Short: "List the embedded presets", Args: cobra.NoArgs, RunE: showPresets},
		&cobra.Command{Use: "show NAME", Short: "Print an embedded preset (e.g. inhibitory-normalization/paper)", Args: cobra.ExactArgs(1), RunE: showPresets})
	return cmd
}

// showPresets prints the preset args names, or lists them all.
func showPresets(cmd *cobra.Command, args []string) error {
	out := cmd.OutOrStdout()
	if len(args) == 1 {
		data, err := readPreset(args[0])
		if err != nil {
			return err
		}
		_, err = out.Write(data)
		return err
	}
	for _, n := range presetNames() {
		data, _ := configs.FS.ReadFile(n)
		first, _, _ := strings.Cut(string(data), "\n")
		fmt.Fprintf(out, "configs/%-45s %s\n", n, strings.TrimSpace(strings.TrimPrefix(first, "#")))
	}
	return nil
}
