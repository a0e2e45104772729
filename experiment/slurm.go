package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// SlurmConfig sets the resources of the job array.
type SlurmConfig struct {
	Partition   string   `yaml:"partition"`     // empty: the cluster's default
	Time        string   `yaml:"time"`          // per task, e.g. "01:00:00"
	CPUsPerTask int      `yaml:"cpus_per_task"` // also GOMAXPROCS of each task
	Mem         string   `yaml:"mem"`           // e.g. "4G"
	Extra       []string `yaml:"extra"`         // further #SBATCH lines, e.g. "--account=lab"
}

var (
	slurmTime  = regexp.MustCompile(`^([0-9]+-)?[0-9]+(:[0-9]+){0,2}$`)
	slurmWord  = regexp.MustCompile(`^[A-Za-z0-9_.,+-]+$`)
	slurmExtra = regexp.MustCompile(`^--?[A-Za-z][A-Za-z0-9-]*(=[[:graph:]]+)?$`)
)

// Validate checks every resource value before it is written into an
// sbatch script: a newline or a shell character in one would put a raw
// line into the script.
func (c SlurmConfig) Validate() error {
	var p Problems
	if !slurmTime.MatchString(c.Time) {
		p.Add("slurm.time", fmt.Sprintf("%q", c.Time), `want Slurm's [D-]HH[:MM[:SS]], e.g. "01:00:00"`)
	}
	if c.CPUsPerTask < 1 || c.CPUsPerTask > 1024 {
		p.Add("slurm.cpus_per_task", c.CPUsPerTask, "want 1 to 1024")
	}
	if !slurmWord.MatchString(c.Mem) {
		p.Add("slurm.mem", fmt.Sprintf("%q", c.Mem), `want a size such as "4G"`)
	}
	if c.Partition != "" && !slurmWord.MatchString(c.Partition) {
		p.Add("slurm.partition", fmt.Sprintf("%q", c.Partition), "want a partition name (letters, digits, _ . , + -)")
	}
	for i, e := range c.Extra {
		if !slurmExtra.MatchString(e) {
			p.Add(fmt.Sprintf("slurm.extra[%d]", i), fmt.Sprintf("%q", e), `want one sbatch option, e.g. "--account=lab"`)
		}
	}
	return p.Err()
}

// SlurmArray is a Slurm job array whose task i runs Command with the
// array index in $SLURM_ARRAY_TASK_ID. Sweeps and `reproduce --slurm`
// both write one.
type SlurmArray struct {
	Name      string      // job name
	Tasks     int         // array indices 0..Tasks-1
	Resources SlurmConfig // per task
	Workdir   string      // --chdir: relative paths in Command resolve here
	LogDir    string      // one %A_%a.out per task
	Command   string      // shell command of one task
}

// Script is the sbatch script of the array.
func (a SlurmArray) Script() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n#SBATCH --array=0-%d\n#SBATCH --cpus-per-task=%d\n#SBATCH --time=%s\n#SBATCH --mem=%s\n",
		a.Name, a.Tasks-1, a.Resources.CPUsPerTask, a.Resources.Time, a.Resources.Mem)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", a.Workdir)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(a.LogDir, "%A_%a.out"))
	if a.Resources.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", a.Resources.Partition)
	}
	for _, e := range a.Resources.Extra {
		fmt.Fprintf(&b, "#SBATCH %s\n", e)
	}
	fmt.Fprintf(&b, "export GOMAXPROCS=%d\n", a.Resources.CPUsPerTask)
	fmt.Fprintf(&b, "exec %s\n", a.Command)
	return b.String()
}

// Write creates the log directory and writes the script to path (sbatch
// reads it; executable so it can also be run by hand).
func (a SlurmArray) Write(path string) error {
	if err := a.Resources.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(a.LogDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(a.Script()), 0o755)
}

// ShellWords quotes each argument for a POSIX shell (single quotes, so
// nothing in a path or a --set value is expanded) and joins them.
func ShellWords(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
