package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/study"
)

// docCommand is one circuitry command line found in the docs.
type docCommand struct {
	where      string // file:line
	args       []string
	syntaxOnly bool // the line says <!-- doc-test: syntax only --> (e.g. a tutorial's new condition)
}

// syntaxOnlyMark on a docs line keeps its commands from being run.
const syntaxOnlyMark = "<!-- doc-test: syntax only -->"

var (
	inlineCommand = regexp.MustCompile("`((?:go run \\./cmd/circuitry|circuitry) [^`]+)`")
	commandPrefix = regexp.MustCompile(`^(?:go run \./cmd/circuitry|circuitry) `)
)

// docCommands extracts every circuitry command of README.md and docs/:
// lines of ```sh blocks (continuations joined, comments dropped) and
// inline code spans that start with `circuitry ` or `go run ./cmd/circuitry `.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	files, _ := filepath.Glob("../../docs/*.md")
	more, _ := filepath.Glob("../../docs/*/*.md")
	files = append(append([]string{"../../README.md"}, files...), more...)
	var out []docCommand
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(f, "../../")
		inSh, pending := false, ""
		for i, line := range strings.Split(string(b), "\n") {
			where := name + ":" + strconv.Itoa(i+1)
			switch {
			case strings.HasPrefix(line, "```"):
				inSh = !inSh && strings.TrimPrefix(line, "```") == "sh"
				continue
			case inSh:
				line = pending + strings.TrimSpace(line)
				if strings.HasSuffix(line, "\\") {
					pending = strings.TrimSuffix(line, "\\")
					continue
				}
				pending = ""
				if c, _, _ := strings.Cut(line, " #"); commandPrefix.MatchString(c) {
					out = append(out, docCommand{where, shellWords(t, where, c), false})
				}
				continue
			}
			for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
				out = append(out, docCommand{where, shellWords(t, where, m[1]), strings.Contains(line, syntaxOnlyMark)})
			}
		}
	}
	return out
}

// shellWords splits a command line as a shell would (single and double
// quotes, no expansions), dropping the `go run ./cmd/circuitry` or
// `circuitry` prefix.
func shellWords(t *testing.T, where, s string) []string {
	var words []string
	var cur strings.Builder
	quote, in := rune(0), false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Errorf("%s: unbalanced quote in %q", where, s)
	}
	if in {
		words = append(words, cur.String())
	}
	if len(words) > 2 && words[0] == "go" {
		return words[3:]
	}
	return words[1:]
}

// Every circuitry command in README.md and docs/ is one circuitry accepts
// today: the subcommand exists, its flags parse, its positional arguments
// are of the right number; commands that train are run with --dry-run
// (the config or preset and every --set override are read and validated,
// nothing is written); version, presets and `config show` run as written.
// Placeholders (<study>) and commands on run directories the docs assume
// are checked for syntax only.
func TestDocCommands(t *testing.T) {
	cmds := docCommands(t)
	if len(cmds) < 40 {
		t.Fatalf("found only %d commands in the docs: the extraction broke", len(cmds))
	}
	work := t.TempDir()
	abs, _ := filepath.Abs("../../configs")
	if err := os.Symlink(abs, filepath.Join(work, "configs")); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cmds {
		root, _ := newRoot(study.Builtin())
		sub, rest, err := root.Find(c.args)
		line := strings.Join(c.args, " ")
		if (err != nil || sub == root) && isSynopsis(c.args) {
			sub, rest = root, c.args // a usage line of the root: `circuitry --cpuprofile FILE CMD`
		} else if err != nil || sub == root {
			t.Errorf("%s: circuitry %s: no such command (%v)", c.where, line, err)
			continue
		}
		if len(rest) == 0 && sub.Args != nil && sub.Args(sub, nil) != nil {
			continue // the command named in prose, not an invocation
		}
		if isSynopsis(rest) {
			// A usage line (CONFIG, [--flag]): every flag it names must exist.
			for _, w := range rest {
				name, _, _ := strings.Cut(strings.Trim(w, "[]|."), "=")
				if strings.HasPrefix(name, "--") && sub.Flags().Lookup(name[2:]) == nil && sub.InheritedFlags().Lookup(name[2:]) == nil && sub.PersistentFlags().Lookup(name[2:]) == nil {
					t.Errorf("%s: circuitry %s: no flag %s", c.where, line, name)
				}
			}
			continue
		}
		rest = withShellValues(rest)
		if err := sub.ParseFlags(rest); err != nil {
			t.Errorf("%s: circuitry %s: %v", c.where, line, err)
			continue
		}
		if sub.Args != nil {
			if err := sub.Args(sub, sub.Flags().Args()); err != nil {
				t.Errorf("%s: circuitry %s: %v", c.where, line, err)
				continue
			}
		}
		if c.syntaxOnly || strings.Contains(line, "<") {
			continue
		}
		args := withShellValues(c.args)
		switch sub.Name() {
		case "train", "run", "reproduce":
			args = append(slices.DeleteFunc(args, func(w string) bool { return w == "--submit" }), "--dry-run") // args is a fresh copy
		case "version", "presets", "show":
		default:
			continue
		}
		ran++
		if testing.Verbose() { // the list a reader can check against the docs
			t.Logf("runs %s: circuitry %s", c.where, strings.Join(args, " "))
		}
		if _, stderr, code := runCLI(t, work, args...); code != 0 {
			t.Errorf("%s: circuitry %s: exit %d: %s", c.where, strings.Join(args, " "), code, strings.TrimSpace(stderr))
		}
	}
	if entries, _ := os.ReadDir(work); len(entries) != 1 {
		t.Errorf("a --dry-run wrote into %s: %d entries", work, len(entries))
	}
	t.Logf("%d commands checked, %d of them run (train/run/reproduce with --dry-run)", len(cmds), ran)
}

// isSynopsis says whether a command's words are a usage line: an
// upper-case placeholder (CONFIG, STUDY, N) or an optional part ([--mlp]).
func isSynopsis(words []string) bool {
	for _, w := range words {
		if placeholder.MatchString(w) || strings.HasPrefix(w, "[") && len(w) > 1 && (w[1] == '-' || w[1] >= 'A' && w[1] <= 'Z') {
			return true
		}
	}
	return false
}

var placeholder = regexp.MustCompile(`^[A-Z][A-Z_]*$`)

// withShellValues stands in for shell variables ($SLURM_ARRAY_TASK_ID) the
// way a job would expand them: with 0.
func withShellValues(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		if strings.HasPrefix(w, "$") {
			w = "0"
		}
		out[i] = w
	}
	return out
}
