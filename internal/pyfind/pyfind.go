// Package pyfind finds the Python interpreter circuitry compares against
// or hands run directories to, the way a user has it: $CIRCUITRY_PYTHON,
// then python3 on PATH, then Debian's /usr/bin/python3 — the first that
// imports the modules asked for.
package pyfind

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
)

// Env names the variable that points circuitry at a Python.
const Env = "CIRCUITRY_PYTHON"

// debian is where Debian's python3 (with python3-torch, -numpy) lives.
const debian = "/usr/bin/python3"

// candidates are the interpreters tried, in order, without duplicates.
func candidates() []string {
	var out []string
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if p := os.Getenv(Env); p != "" {
		add(p)
	}
	if p, err := exec.LookPath("python3"); err == nil {
		add(p)
	}
	add(debian)
	return out
}

var cache sync.Map // "modules" -> result

type result struct {
	path string
	err  error
}

// Find returns the first candidate interpreter that imports every module
// (e.g. "torch", "numpy"), or an error listing what was tried. Results are
// cached per module list for the life of the process.
func Find(modules ...string) (string, error) {
	key := strings.Join(modules, ",")
	if r, ok := cache.Load(key); ok {
		return r.(result).path, r.(result).err
	}
	imp := "import sys"
	if len(modules) > 0 {
		imp = "import " + key
	}
	var tried []string
	for _, p := range candidates() {
		if exec.Command(p, "-c", imp).Run() == nil {
			cache.Store(key, result{path: p})
			return p, nil
		}
		tried = append(tried, p)
	}
	err := fmt.Errorf("no Python with %s: tried %s (set $%s, or apt-get install python3-torch python3-numpy python3-yaml)", key, strings.Join(tried, ", "), Env)
	cache.Store(key, result{err: err})
	return "", err
}
