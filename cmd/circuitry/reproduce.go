package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/circuitry-lab/circuitry/configs"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/spf13/cobra"
)

func reproduceCmd(g *globals) *cobra.Command {
	o := experiment.ReproduceOptions{}
	var point int
	var slurm, submit, dryRun bool
	res := experiment.SlurmConfig{CPUsPerTask: 2, Mem: "4G"}
	cmd := &cobra.Command{
		Use:   "reproduce STUDY",
		Short: "Run a study's preset and print a verdict on each of its claims",
		Long: "reproduce runs one of the study's presets (--scale quick, medium or long for study 1, or paper) (resuming finished points), evaluates each check\n" +
			"of the study and prints a verdict table; verdicts.md and report.html go to the study directory.\n" +
			"With --slurm it writes a job array with one task per run (--point I runs run I) and a verdict\n" +
			"job that runs after the array; --submit submits both with sbatch.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			errw := cmd.ErrOrStderr()
			o.DataDir, o.Log, o.Progress = g.dataDir, errw, experiment.NewProgress(errw, 30*time.Second)
			kind, err := g.studies.Lookup(args[0])
			if err != nil {
				return err
			}
			if dryRun {
				plan, err := experiment.PlanReproduction(kind, configs.FS, o)
				if err != nil {
					return err
				}
				return dryRunStudies(cmd.OutOrStdout(), plan.Studies, o.Force)
			}
			if !cmd.Flags().Changed("point") && !slurm {
				rep, err := experiment.Reproduce(cmd.Context(), kind, configs.FS, o)
				if err != nil {
					return err
				}
				fmt.Fprint(cmd.OutOrStdout(), rep.Verdicts)
				for _, d := range rep.Dirs {
					fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(d, "report.html"))
				}
				return nil
			}
			if slurm {
				return reproduceSlurm(cmd, kind, o, res, submit)
			}
			return reproducePoint(cmd, kind, o, point)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Scale, "scale", "quick", "quick (minutes on a laptop), medium (study 1: every check on the full data in ~2.5 h on 2 cores), long (study 1: all 30 configurations, 50 epochs, eps 0 and 0.75) or paper (the studies' settings)")
	f.StringVar(&o.OutDir, "out", "", "parent directory of the study directories (default: runs)")
	f.StringArrayVar(&o.Overrides, "set", nil, "override a key of the preset(s), e.g. --set seeds=[0,1]")
	f.IntVar(&point, "point", 0, "run only this run of the study (what each Slurm array task does)")
	f.BoolVar(&o.FinishedOnly, "finished-only", false, "train nothing: judge the studies whose points have all finished (re-analysing where needed) and report the others as not run")
	f.BoolVar(&o.Force, "force", false, "retrain runs whose directories hold results of another config (only the files circuitry wrote there are removed)")
	f.BoolVar(&dryRun, "dry-run", false, dryRunHelp)
	f.BoolVar(&slurm, "slurm", false, "write a Slurm job array (one task per run) and a verdict job")
	f.BoolVar(&submit, "submit", false, "with --slurm: submit the array, then the verdict job after it")
	f.IntVar(&res.CPUsPerTask, "slurm-cpus", res.CPUsPerTask, "with --slurm: CPUs per task (also GOMAXPROCS)")
	f.StringVar(&res.Time, "slurm-time", "", "with --slurm: time limit per task (default 02:00:00 quick, 04:00:00 medium, 24:00:00 long and paper)")
	f.StringVar(&res.Mem, "slurm-mem", res.Mem, "with --slurm: memory per task")
	f.StringVar(&res.Partition, "slurm-partition", "", "with --slurm: partition (default: the cluster's)")
	f.StringArrayVar(&res.Extra, "slurm-extra", nil, "with --slurm: a further #SBATCH line, e.g. --slurm-extra=--account=lab")
	return cmd
}

// writeReproduceSlurm writes PLAN_DIR/slurm.sh (the runs) and
// PLAN_DIR/verdicts.sh (reproduce itself, which finds every run finished),
// and submits the second to start when the first has succeeded.
func writeReproduceSlurm(cmd *cobra.Command, name, dir string, pts []experiment.PlannedPoint, o experiment.ReproduceOptions, res experiment.SlurmConfig, submit bool) error {
	if res.CPUsPerTask < 1 {
		return fmt.Errorf("--slurm-cpus %d: want >= 1", res.CPUsPerTask)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	args := []string{exe, "reproduce", name, "--scale", o.Scale}
	if o.OutDir != "" {
		args = append(args, "--out", o.OutDir)
	}
	for _, s := range o.Overrides {
		args = append(args, "--set", s)
	}
	if o.DataDir != "" {
		args = append(args, "--data", o.DataDir)
	}
	if o.Force {
		args = append(args, "--force")
	}
	base := experiment.ShellWords(args...)
	logs := filepath.Join(dir, "slurm")
	runs := experiment.SlurmArray{Name: name, Tasks: len(pts), Resources: res, Workdir: wd, LogDir: logs,
		Command: base + ` --point "$SLURM_ARRAY_TASK_ID"`}
	verdicts := experiment.SlurmArray{Name: name + "-verdicts", Tasks: 1, Resources: res, Workdir: wd, LogDir: logs, Command: base}
	arrayPath, verdictPath := filepath.Join(dir, "slurm.sh"), filepath.Join(dir, "verdicts.sh")
	if err := runs.Write(arrayPath); err != nil {
		return err
	}
	if err := verdicts.Write(verdictPath); err != nil {
		return err
	}
	var index strings.Builder
	for i, p := range pts {
		fmt.Fprintf(&index, "%d\t%s\n", i, p.Name)
	}
	if err := os.WriteFile(filepath.Join(dir, "points.tsv"), []byte(index.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d array tasks) and %s (verdicts, after the array)\n", arrayPath, len(pts), verdictPath)
	if !submit {
		return nil
	}
	id, err := sbatch(arrayPath)
	if err != nil {
		return err
	}
	vid, err := sbatch("--dependency=afterok:"+id, verdictPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "submitted job %s (runs) and job %s (verdicts, logs in %s)\n", id, vid, logs)
	return nil
}

// sbatch submits a script and returns the job id.
func sbatch(args ...string) (string, error) {
	out, err := exec.Command("sbatch", append([]string{"--parsable"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "id;cluster" on federated clusters
	return id, nil
}

// reproduceSlurm writes (and with submit, submits) a job array with one task
// per run of the study's preset and a verdict job after it.
func reproduceSlurm(cmd *cobra.Command, kind experiment.Kind, o experiment.ReproduceOptions, res experiment.SlurmConfig, submit bool) error {
	plan, pts, err := planPoints(kind, o)
	if err != nil {
		return err
	}
	if res.Time == "" {
		res.Time = map[string]string{"quick": "02:00:00", "medium": "04:00:00"}[o.Scale]
		if res.Time == "" {
			res.Time = "24:00:00"
		}
	}
	dir := filepath.Join(filepath.Dir(plan.Studies[0].Dir()), kind.Name+"-"+o.Scale+"-slurm")
	return writeReproduceSlurm(cmd, kind.Name, dir, pts, o, res, submit)
}

// reproducePoint runs run number point of the study's preset alone (what each
// Slurm array task does).
func reproducePoint(cmd *cobra.Command, kind experiment.Kind, o experiment.ReproduceOptions, point int) error {
	_, pts, err := planPoints(kind, o)
	if err != nil {
		return err
	}
	if point < 0 || point >= len(pts) {
		return fmt.Errorf("--point %d: %s at %s scale has points 0 to %d", point, kind.Name, o.Scale, len(pts)-1)
	}
	pp := pts[point]
	if err := experiment.RunStudyPoint(cmd.Context(), pp.Study, pp.Index, o.Env()); err != nil {
		return fmt.Errorf("point %d (%s): %w", point, pp.Name, err)
	}
	return nil
}

// planPoints plans the study's preset and lists its runs, one per point.
func planPoints(kind experiment.Kind, o experiment.ReproduceOptions) (*experiment.Plan, []experiment.PlannedPoint, error) {
	plan, err := experiment.PlanReproduction(kind, configs.FS, o)
	if err != nil {
		return nil, nil, err
	}
	pts, err := experiment.PlanPoints(plan)
	return plan, pts, err
}
