package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/circuitry-lab/circuitry/configs"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/task/images"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type globals struct {
	dataDir string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "circuitry",
		Short:         "Train and dissect brain-like neural circuits",
		Long:          "circuitry trains Dale's-law and noisy recurrent networks and analyses them, reproducing\nstudies of inhibitory normalisation and offline reactivation.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data", "", "Fashion-MNIST directory, or \"embedded\" for the built-in subset (default: $CIRCUITRY_DATA, "+images.SystemDir+", the user cache, then the embedded subset)")
	root.AddCommand(versionCmd(), dataCmd(g), trainCmd(g), runCmd(g), analyzeCmd(), resumeCmd(g), reproduceCmd(g), sweepCmd(g), reportCmd(), serveCmd(), benchCmd(), demoCmd(g))
	return root
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, Go version and GEMM kernel",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "circuitry %s (%s, %s/%s, gemm kernel %s, %d cores)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, kernels.Backend(), runtime.GOMAXPROCS(0))
		},
	}
}

func dataCmd(g *globals) *cobra.Command {
	data := &cobra.Command{Use: "data", Short: "Find, fetch and describe datasets"}
	var dir string
	fetch := &cobra.Command{
		Use:   "fetch",
		Short: "Download Fashion-MNIST into the user cache and verify its SHA-256",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				var err error
				if dir, err = images.CacheDir(); err != nil {
					return err
				}
			}
			client := &http.Client{Timeout: 5 * time.Minute}
			logf := func(f string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), f+"\n", a...) }
			if err := images.Fetch(cmd.Context(), client, images.FashionBaseURL, dir, images.FashionFiles, logf); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Fashion-MNIST ready in %s\n", dir)
			return nil
		},
	}
	fetch.Flags().StringVar(&dir, "dir", "", "download directory (default: the user cache)")
	info := &cobra.Command{
		Use:   "info",
		Short: "Say where the data was found, how many images, and their checksums",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return dataInfo(cmd.OutOrStdout(), g.dataDir)
		},
	}
	data.AddCommand(fetch, info)
	return data
}

func dataInfo(w io.Writer, dataDir string) error {
	src, err := images.FindFashionMNIST(dataDir)
	if err != nil {
		return err
	}
	train, test, err := images.LoadFashionMNIST(src)
	if err != nil {
		return err
	}
	files, err := images.DescribeFiles(src)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Fashion-MNIST from %s\n", src)
	fmt.Fprintf(w, "train: %d images %dx%d, %d classes\ntest:  %d images %dx%d\n", train.N, train.Rows, train.Cols, train.Classes, test.N, test.Rows, test.Cols)
	for _, f := range files {
		official := "subset / not the official file"
		if f.Official {
			official = "official content"
		}
		fmt.Fprintf(w, "%s  %d bytes\n  sha256 %s\n  content sha256 %s (%s)\n", f.Path, f.Bytes, f.SHA256, f.ContentSHA256, official)
	}
	if src.Kind == "embedded" {
		fmt.Fprintln(w, images.EmbeddedNotice)
	}
	return nil
}

type runFlags struct {
	sets  []string
	force bool
	out   string
}

func (f *runFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.sets, "set", nil, "override a config key, e.g. --set train.lr=0.01 (repeatable)")
	cmd.Flags().BoolVar(&f.force, "force", f.force, "retrain runs whose directories hold results of another config (only the files circuitry wrote there are removed)")
	cmd.Flags().StringVar(&f.out, "out", "", "parent directory for the run (default: the config's out.dir)")
}

func trainCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "train CONFIG",
		Short: "Train the network a YAML config describes and write its run directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := experiment.LoadConfig(args[0], f.sets)
			if err != nil {
				return err
			}
			return runClassifier(cmd, g, f, cfg)
		},
	}
	f.register(cmd)
	return cmd
}

func runCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run CONFIG",
		Short: "Run every point of a study config (skipping finished points, resuming interrupted ones), then write its comparison",
		Long: "run executes a study config (a file with a top-level `study:` key) point by point, in parallel,\n" +
			"skipping points already finished, then writes comparison.md/json, results.csv and figures.\n" +
			"A config without `study:` is a single run, as with `train`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("config: %w", err)
			}
			switch study := experiment.StudyOf(data); study {
			case "":
				cfg, err := experiment.LoadConfig(args[0], f.sets)
				if err != nil {
					return err
				}
				return runClassifier(cmd, g, f, cfg)
			case "inhibitory-normalization":
				s, err := experiment.ParseInhibitoryStudy(data, f.sets)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				s = s.WithForce(f.force)
				if f.out != "" {
					s.Out.Dir = f.out
				}
				errw := cmd.ErrOrStderr()
				cmp, err := experiment.RunInhibitoryStudy(cmd.Context(), s, g.dataDir, experiment.NewProgress(errw, 30*time.Second), errw)
				if err != nil {
					return err
				}
				fmt.Fprint(cmd.OutOrStdout(), cmp.Markdown())
				fmt.Fprintf(cmd.OutOrStdout(), "\nresults in %s\n", s.Dir())
				return nil
			case "offline-reactivation":
				s, err := experiment.ParseReactivationStudy(data, f.sets)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				s = s.WithForce(f.force)
				if f.out != "" {
					s.Out.Dir = f.out
				}
				errw := cmd.ErrOrStderr()
				rep, err := experiment.RunReactivationStudy(cmd.Context(), s, experiment.NewProgress(errw, 30*time.Second), errw)
				if err != nil {
					return err
				}
				fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
				fmt.Fprintf(cmd.OutOrStdout(), "\nresults in %s\n", s.Dir())
				return nil
			default:
				return fmt.Errorf("%s: study = %q: want \"inhibitory-normalization\" or \"offline-reactivation\" (or no study key for a single run)", args[0], study)
			}
		},
	}
	f.register(cmd)
	return cmd
}

func analyzeCmd() *cobra.Command {
	var sets []string
	var name string
	cmd := &cobra.Command{
		Use:   "analyze RUN_DIR",
		Short: "Re-run the offline (quiescence) analyses of a finished offline-reactivation run",
		Long: "analyze reloads a finished network's weights and repeats its quiescence analyses, optionally with\n" +
			"changed settings, e.g. --set quiescence.noise_factor=1 (temperature) or --set network.noise=gaussian\n" +
			"(noise-type mismatch). Results go to RUN_DIR/analyses/NAME.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := experiment.AnalyzeReactivationRun(args[0], name, sets, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(r, "", "  ")
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a config key for the analysis (repeatable)")
	cmd.Flags().StringVar(&name, "name", "reanalysis", "name of the analysis directory under RUN_DIR/analyses")
	return cmd
}

func resumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume RUN_DIR",
		Short: "Continue a stopped training run from its last checkpoint (bit-identical to an uninterrupted run)",
		Long: "resume continues a `train` run, or one network of an offline-reactivation study, from\n" +
			"checkpoints/checkpoint.bin. Whole studies and sweeps resume by running the same command again:\n" +
			"finished points are skipped and interrupted ones continue from their checkpoints.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			errw := cmd.ErrOrStderr()
			if data, err := os.ReadFile(filepath.Join(args[0], "config.yaml")); err == nil && experiment.StudyOf(data) == "offline-reactivation" {
				r, err := experiment.ResumeReactivationPoint(cmd.Context(), args[0], experiment.NewProgress(errw, 10*time.Second), errw)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: decode err %.4f, KL %.3f; re-run the study to refresh its report\n", r.Dir, float64(r.DecodeErr), float64(r.KL))
				return nil
			}
			sum, err := experiment.ResumeClassifier(cmd.Context(), args[0], experiment.RunOptions{
				DataDir: g.dataDir, Log: errw, Progress: experiment.NewProgress(errw, 10*time.Second)})
			if err != nil {
				return err
			}
			printSummary(cmd, sum)
			return nil
		},
	}
}

func reproduceCmd(g *globals) *cobra.Command {
	o := experiment.ReproduceOptions{}
	var point int
	var slurm, submit bool
	res := experiment.SlurmConfig{CPUsPerTask: 2, Mem: "4G"}
	cmd := &cobra.Command{
		Use:   "reproduce inhibitory-normalization|offline-reactivation",
		Short: "Run a study's preset and print a verdict on each of its claims",
		Long: "reproduce runs the study's quick or paper preset (resuming finished points), evaluates each check\n" +
			"of the study and prints a verdict table; verdicts.md and report.html go to the study directory.\n" +
			"With --slurm it writes a job array with one task per run (--point I runs run I) and a verdict\n" +
			"job that runs after the array; --submit submits both with sbatch.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			errw := cmd.ErrOrStderr()
			o.DataDir, o.Log, o.Progress = g.dataDir, errw, experiment.NewProgress(errw, 30*time.Second)
			if cmd.Flags().Changed("point") || slurm {
				plan, err := experiment.PlanReproduction(configs.FS, args[0], o)
				if err != nil {
					return err
				}
				if slurm {
					if res.Time == "" {
						res.Time = map[string]string{"quick": "02:00:00", "paper": "24:00:00"}[o.Scale]
					}
					return writeReproduceSlurm(cmd, plan, o, g.dataDir, res, submit)
				}
				return plan.RunPoint(cmd.Context(), point)
			}
			rep, err := experiment.Reproduce(cmd.Context(), configs.FS, args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Verdicts)
			for _, d := range rep.Dirs {
				fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(d, "report.html"))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Scale, "scale", "quick", "quick (minutes on a laptop) or paper (the studies' settings)")
	f.StringVar(&o.OutDir, "out", "", "parent directory of the study directories (default: runs)")
	f.StringArrayVar(&o.Overrides, "set", nil, "override a key of the preset(s), e.g. --set seeds=[0,1]")
	f.IntVar(&point, "point", 0, "run only this run of the study (what each Slurm array task does)")
	f.BoolVar(&o.Force, "force", false, "retrain runs whose directories hold results of another config (only the files circuitry wrote there are removed)")
	f.BoolVar(&slurm, "slurm", false, "write a Slurm job array (one task per run) and a verdict job")
	f.BoolVar(&submit, "submit", false, "with --slurm: submit the array, then the verdict job after it")
	f.IntVar(&res.CPUsPerTask, "slurm-cpus", res.CPUsPerTask, "with --slurm: CPUs per task (also GOMAXPROCS)")
	f.StringVar(&res.Time, "slurm-time", "", "with --slurm: time limit per task (default 02:00:00 quick, 24:00:00 paper)")
	f.StringVar(&res.Mem, "slurm-mem", res.Mem, "with --slurm: memory per task")
	f.StringVar(&res.Partition, "slurm-partition", "", "with --slurm: partition (default: the cluster's)")
	f.StringArrayVar(&res.Extra, "slurm-extra", nil, "with --slurm: a further #SBATCH line, e.g. --slurm-extra=--account=lab")
	return cmd
}

// writeReproduceSlurm writes PLAN_DIR/slurm.sh (the runs) and
// PLAN_DIR/verdicts.sh (reproduce itself, which finds every run finished),
// and submits the second to start when the first has succeeded.
func writeReproduceSlurm(cmd *cobra.Command, plan *experiment.ReproducePlan, o experiment.ReproduceOptions, dataDir string, res experiment.SlurmConfig, submit bool) error {
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
	args := []string{exe, "reproduce", plan.Study, "--scale", plan.Scale}
	if o.OutDir != "" {
		args = append(args, "--out", o.OutDir)
	}
	for _, s := range o.Overrides {
		args = append(args, "--set", s)
	}
	if dataDir != "" {
		args = append(args, "--data", dataDir)
	}
	base := experiment.ShellWords(args...)
	logs := filepath.Join(plan.Dir, "slurm")
	runs := experiment.SlurmArray{Name: plan.Study, Tasks: len(plan.Names), Resources: res, Workdir: wd, LogDir: logs,
		Command: base + ` --point "$SLURM_ARRAY_TASK_ID"`}
	verdicts := experiment.SlurmArray{Name: plan.Study + "-verdicts", Tasks: 1, Resources: res, Workdir: wd, LogDir: logs, Command: base}
	arrayPath, verdictPath := filepath.Join(plan.Dir, "slurm.sh"), filepath.Join(plan.Dir, "verdicts.sh")
	if err := runs.Write(arrayPath); err != nil {
		return err
	}
	if err := verdicts.Write(verdictPath); err != nil {
		return err
	}
	var index strings.Builder
	for i, n := range plan.Names {
		fmt.Fprintf(&index, "%d\t%s\n", i, n)
	}
	if err := os.WriteFile(filepath.Join(plan.Dir, "points.tsv"), []byte(index.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d array tasks) and %s (verdicts, after the array)\n", arrayPath, len(plan.Names), verdictPath)
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

func sweepCmd(g *globals) *cobra.Command {
	var workers, point int
	var slurm, submit, force bool
	cmd := &cobra.Command{
		Use:   "sweep SPEC",
		Short: "Run a grid of single-run configs locally, or write (and submit) a Slurm job array for it",
		Long: "sweep expands SPEC (base config, grid of keys, seeds) into points. Locally it runs them with\n" +
			"--workers in parallel, skipping finished points and resuming interrupted ones. With --slurm it\n" +
			"writes SWEEP_DIR/slurm.sh, a job array with one task per point (--submit runs sbatch on it).\n" +
			"`circuitry report SWEEP_DIR` merges finished points.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("workers") && workers < 1 {
				return fmt.Errorf("--workers %d: want >= 1", workers)
			}
			spec, pts, err := experiment.LoadSweep(args[0])
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			opt := experiment.RunOptions{DataDir: g.dataDir, Log: errw, Force: force}
			switch {
			case cmd.Flags().Changed("point"):
				if point < 0 || point >= len(pts) {
					return fmt.Errorf("--point %d: the sweep has points 0 to %d", point, len(pts)-1)
				}
				return experiment.RunSweepPoint(cmd.Context(), pts[point], opt)
			case slurm:
				return writeSlurm(cmd, spec, pts, args[0], g.dataDir, submit)
			}
			if err := experiment.RunSweep(cmd.Context(), spec, pts, workers, opt, experiment.NewProgress(errw, 10*time.Second), errw); err != nil {
				return err
			}
			rep, err := experiment.ReportSweep(spec.Dir())
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
			return nil
		},
	}
	cmd.Flags().IntVar(&workers, "workers", 0, "points run in parallel (default: the spec's workers, or one per core)")
	cmd.Flags().IntVar(&point, "point", 0, "run only this point (what each Slurm array task does)")
	cmd.Flags().BoolVar(&slurm, "slurm", false, "write SWEEP_DIR/slurm.sh, a Slurm job array with one task per point")
	cmd.Flags().BoolVar(&submit, "submit", false, "with --slurm: submit the script with sbatch")
	cmd.Flags().BoolVar(&force, "force", false, "retrain points whose directories hold results of another config (only the files circuitry wrote there are removed)")
	return cmd
}

func writeSlurm(cmd *cobra.Command, spec *experiment.SweepSpec, pts []experiment.SweepPoint, specPath, dataDir string, submit bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(specPath)
	if err != nil {
		return err
	}
	if err := experiment.WritePointsIndex(spec, pts); err != nil {
		return err
	}
	script := filepath.Join(spec.Dir(), "slurm.sh")
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := spec.SlurmArray(pts, exe, abs, wd, dataDir).Write(script); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d array tasks)\n", script, len(pts))
	if !submit {
		return nil
	}
	id, err := sbatch(script)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "submitted job %s; merge results with: circuitry report %s\n", id, spec.Dir())
	return nil
}

func reportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report SWEEP_DIR",
		Short: "Merge a sweep's finished runs into tables, a figure and report.html",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := experiment.ReportSweep(args[0])
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
			return nil
		},
	}
}

func serveCmd() *cobra.Command {
	var addr string
	var refresh int
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve a runs directory on localhost: an index of runs and studies that refreshes while they progress",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "runs"
			if len(args) == 1 {
				dir = args[0]
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return fmt.Errorf("serve %s: not a directory", dir)
			}
			if refresh < 1 {
				return fmt.Errorf("--refresh %d: want >= 1 second", refresh)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s on http://%s/ (Ctrl-C to stop)\n", dir, addr)
			srv := &http.Server{Addr: addr, Handler: report.Handler(dir, refresh), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				srv.Close()
			}()
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "localhost:8080", "address to listen on")
	cmd.Flags().IntVar(&refresh, "refresh", 10, "seconds between index refreshes")
	return cmd
}

func benchCmd() *cobra.Command {
	var seconds float64
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure GEMM GFLOP/s and the studies' training speed on this machine",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "circuitry bench: %s/%s, %d cores, gemm kernel %s\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), kernels.Backend())
			_, err := experiment.RunBench(cmd.OutOrStdout(), time.Duration(seconds*float64(time.Second)))
			return err
		},
	}
	cmd.Flags().Float64Var(&seconds, "seconds", 2, "minimum measuring time per benchmark")
	return cmd
}

func demoCmd(g *globals) *cobra.Command {
	f := &runFlags{force: true}
	var mlpOnly bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Train the quick-start MLP, then reproduce both studies at quick scale and print their verdicts",
		Long: "demo trains the quick-start MLP on Fashion-MNIST with random luminosity and prints its test\n" +
			"accuracy, then runs both studies at quick scale (study 1 on 10,000 training images, whatever data\n" +
			"is found) under OUT/demo and prints both verdict tables and where the reports are. Re-running it\n" +
			"reuses the finished study runs. --mlp stops after the MLP.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			data, err := configs.FS.ReadFile("demo.yaml")
			if err != nil {
				return err
			}
			cfg, err := experiment.ParseConfig(data, f.sets)
			if err != nil {
				return fmt.Errorf("demo config: %w", err)
			}
			demoDir := filepath.Join(cfg.Out.Dir, "demo")
			if f.out != "" {
				demoDir = filepath.Join(f.out, "demo")
			}
			// The MLP gets its own run directory beside the studies'
			// (OUT/demo/mlp): --force clears only that one, so a second
			// demo reuses the finished study runs.
			cfg.Out.Dir, cfg.Name = demoDir, "mlp"
			mf := *f
			mf.out = ""
			if err := runClassifier(cmd, g, &mf, cfg); err != nil || mlpOnly {
				return err
			}
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			o := experiment.ReproduceOptions{Scale: "quick", OutDir: demoDir, DataDir: g.dataDir,
				Log: errw, Progress: experiment.NewProgress(errw, 30*time.Second)}
			for _, study := range []struct{ name, limit string }{
				{"inhibitory-normalization", "train_limit=10000"},
				{"offline-reactivation", ""},
			} {
				so := o
				if study.limit != "" {
					so.Overrides = []string{study.limit}
				}
				fmt.Fprintf(errw, "demo: reproducing %s at quick scale\n", study.name)
				rep, err := experiment.Reproduce(cmd.Context(), configs.FS, study.name, so)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "\n%s", rep.Verdicts)
				for _, d := range rep.Dirs {
					fmt.Fprintf(out, "report: %s\n", filepath.Join(d, "report.html"))
				}
			}
			fmt.Fprintf(out, "\ndemo finished in %s\n", time.Since(start).Round(time.Second))
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&mlpOnly, "mlp", false, "train only the quick-start MLP")
	return cmd
}

func runClassifier(cmd *cobra.Command, g *globals, f *runFlags, cfg experiment.Config) error {
	if f.out != "" {
		cfg.Out.Dir = f.out
	}
	errw := cmd.ErrOrStderr()
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	sum, err := experiment.TrainClassifier(ctx, cfg, experiment.RunOptions{
		DataDir: g.dataDir, Force: f.force, Log: errw,
		Progress: experiment.NewProgress(errw, 10*time.Second),
	})
	if err != nil {
		return err
	}
	printSummary(cmd, sum)
	return nil
}

func printSummary(cmd *cobra.Command, sum *experiment.Summary) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "data: %s (%d train / %d test images, luminosity shift ±%.2f)\n", sum.Data, sum.TrainImages, sum.TestImages, sum.Luminosity)
	fmt.Fprintf(out, "test accuracy after %d epochs: %.2f%% (shifted test set), %.2f%% (unshifted)\n", sum.Epochs, 100*sum.FinalTestAcc, 100*sum.CleanTestAcc)
	fmt.Fprintf(out, "%.1f s per epoch, %.1f s in all; results in %s\n", sum.EpochSeconds, sum.TotalSeconds, sum.RunDir)
}
