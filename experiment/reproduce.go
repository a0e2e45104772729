package experiment

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/report"
)

// ReproduceOptions are the settings of `circuitry reproduce`.
type ReproduceOptions struct {
	Scale     string   // quick | paper
	OutDir    string   // parent of the study directories; empty = the presets' (runs)
	DataDir   string   // Fashion-MNIST location (inhibitory normalisation)
	Overrides []string // --set, applied to every preset
	Progress  Progress
	Log       io.Writer
}

// Reproduce runs a study's preset(s) at a scale, evaluates the study's
// checks and writes verdicts.md and a report.html topped by the verdict
// table. It returns the verdict Markdown.
func Reproduce(ctx context.Context, presets fs.FS, study string, o ReproduceOptions) (string, error) {
	if o.Scale != "quick" && o.Scale != "paper" {
		return "", fmt.Errorf("--scale %q: want quick or paper", o.Scale)
	}
	if o.Progress == nil {
		o.Progress = Quiet{}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	switch study {
	case "inhibitory-normalization":
		return reproduceInhibitory(ctx, presets, o)
	case "offline-reactivation":
		return reproduceReactivation(ctx, presets, o)
	}
	return "", fmt.Errorf("unknown study %q: want inhibitory-normalization or offline-reactivation", study)
}

func reproduceInhibitory(ctx context.Context, presets fs.FS, o ReproduceOptions) (string, error) {
	data, err := fs.ReadFile(presets, "inhibitory-normalization/"+o.Scale+".yaml")
	if err != nil {
		return "", err
	}
	sets := o.Overrides
	if o.OutDir != "" {
		sets = append([]string{"out.dir=" + o.OutDir}, sets...)
	}
	s, err := ParseInhibitoryStudy(data, sets)
	if err != nil {
		return "", err
	}
	cmp, err := RunInhibitoryStudy(ctx, s, o.DataDir, o.Progress, o.Log)
	if err != nil {
		return "", err
	}
	md := fmt.Sprintf("# Inhibitory normalisation (%s scale): verdicts\n\n", o.Scale) +
		VerdictTable("The study's checks", InhibitoryVerdicts(cmp))
	return md, writeVerdicts(s.Dir(), md, cmp.Markdown())
}

func reproduceReactivation(ctx context.Context, presets fs.FS, o ReproduceOptions) (string, error) {
	var reps [2]*ReactivationReport
	var dirs []string
	temp1 := map[string]float64{}
	for i, task := range []string{"spatial", "headdir"} {
		data, err := fs.ReadFile(presets, "offline-reactivation/"+task+"-"+o.Scale+".yaml")
		if err != nil {
			return "", err
		}
		sets := o.Overrides
		if o.OutDir != "" {
			sets = append([]string{"out.dir=" + o.OutDir}, sets...)
		}
		s, err := ParseReactivationStudy(data, sets)
		if err != nil {
			return "", fmt.Errorf("%s preset: %w", task, err)
		}
		if reps[i], err = RunReactivationStudy(ctx, s, o.Progress, o.Log); err != nil {
			return "", err
		}
		dirs = append(dirs, s.Dir())
		if task == "spatial" && reps[i].Row("noisy") != nil {
			// Temperature check: the same networks, quiescent noise x1.
			var sum float64
			for _, seed := range s.Seeds {
				r, err := AnalyzeReactivationRun(filepath.Join(s.Dir(), "runs", fmt.Sprintf("noisy_s%d", seed)), "noise-x1", []string{"quiescence.noise_factor=1"}, o.Log)
				if err != nil {
					return "", err
				}
				sum += float64(r.KL)
			}
			temp1["noisy"] = sum / float64(len(s.Seeds))
		}
	}
	md := fmt.Sprintf("# Offline reactivation (%s scale): verdicts\n\nStudies: %s.\n\n", o.Scale, strings.Join(dirs, ", ")) +
		VerdictTable("The study's checks", ReactivationVerdicts(reps[0], reps[1], temp1))
	for i, d := range dirs {
		if err := writeVerdicts(d, md, reps[i].Markdown()); err != nil {
			return "", err
		}
	}
	return md, nil
}

// writeVerdicts saves verdicts.md and rewrites report.html with the
// verdicts above the study's own report.
func writeVerdicts(dir, verdicts, body string) error {
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "verdicts.md"), []byte(verdicts)); err != nil {
		return err
	}
	page, err := report.HTML(filepath.Base(dir), verdicts+"\n"+body, dir)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "report.html"), page)
}
