package classify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/npy"
	"github.com/circuitry-lab/circuitry/report"
)

// writeRunReport writes arrays/metrics.npy (epoch, train loss, train acc,
// test loss, test acc per row), figures/curves.{png,svg} and report.html
// for a finished classifier run: its summary, config and metrics.
func writeRunReport(run *experiment.RunDir, cfg Config, sum *Summary) error {
	recs, err := ReadMetrics(filepath.Join(run.Path, "metrics.jsonl"))
	if err != nil {
		return err
	}
	// The metrics for Python: one row per epoch.
	rows := make([]float64, 0, 5*len(recs))
	for _, r := range recs {
		rows = append(rows, float64(r.Epoch), float64(r.TrainLoss), r.TrainAcc, float64(r.TestLoss), r.TestAcc)
	}
	arr, err := npy.Bytes(rows, len(recs), 5)
	if err != nil {
		return err
	}
	if err := run.WriteFile(filepath.Join("arrays", "metrics.npy"), arr); err != nil {
		return err
	}
	figs := filepath.Join(run.Path, "figures")
	if err := epochFigure(figs, "curves", sum.Name+": accuracy", "accuracy (%)", recs,
		"train accuracy", func(r EpochRecord) float64 { return 100 * r.TrainAcc },
		"test accuracy (shifted)", func(r EpochRecord) float64 { return 100 * r.TestAcc }); err != nil {
		return err
	}
	if err := epochFigure(figs, "loss", sum.Name+": loss", "cross-entropy", recs,
		"train loss (mean over the epoch's batches)", func(r EpochRecord) float64 { return float64(r.TrainLoss) },
		"test loss (shifted)", func(r EpochRecord) float64 { return float64(r.TestLoss) }); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Run %s\n\n", sum.Name)
	b.WriteString("| summary | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| data | %s (%d train / %d test) |\n| luminosity bound | %.2f |\n", sum.Data, sum.TrainImages, sum.TestImages, sum.Luminosity)
	fmt.Fprintf(&b, "| final test accuracy (shifted) | %.2f%% |\n| final test accuracy (unshifted) | %.2f%% |\n| best test accuracy | %.2f%% |\n",
		100*sum.FinalTestAcc, 100*sum.CleanTestAcc, 100*sum.BestTestAcc)
	fmt.Fprintf(&b, "| seconds per epoch | %.1f |\n| diverged | %v |\n\n", sum.EpochSeconds, sum.Diverged)
	b.WriteString("![curves.png](figures/curves.png)\n\n![loss.png](figures/loss.png)\n\n## Metrics\n\n| epoch | train loss | train acc | test loss | test acc | seconds |\n|---|---|---|---|---|---|\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "| %d | %.4f | %.2f | %.4f | %.2f | %.1f |\n", r.Epoch, float64(r.TrainLoss), 100*r.TrainAcc, float64(r.TestLoss), 100*r.TestAcc, r.Seconds)
	}
	b.WriteString("\n## Config\n\n```yaml\n" + strings.TrimSpace(string(cfg.YAML())) + "\n```\n")
	page, err := report.HTML("run "+sum.Name, b.String(), run.Path)
	if err != nil {
		return err
	}
	return run.WriteFile("report.html", bytes.TrimSpace(page))
}

// ReadMetrics reads a run's metrics.jsonl.
func ReadMetrics(path string) ([]EpochRecord, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []EpochRecord
	dec := json.NewDecoder(f)
	for {
		var r EpochRecord
		if err := dec.Decode(&r); err == io.EOF {
			return recs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		recs = append(recs, r)
	}
}

// epochFigure saves dir/base: a training and a test curve of the epoch
// records against whole-number epochs.
func epochFigure(dir, base, title, ylabel string, recs []EpochRecord, trainName string, train func(EpochRecord) float64, testName string, test func(EpochRecord) float64) error {
	tr, te := report.Series{Name: trainName}, report.Series{Name: testName}
	for _, r := range recs {
		e := float64(r.Epoch)
		tr.X, tr.Y = append(tr.X, e), append(tr.Y, train(r))
		te.X, te.Y = append(te.X, e), append(te.Y, test(r))
	}
	p, err := report.Lines(title, "epoch", ylabel, []report.Series{tr, te})
	if err != nil {
		return err
	}
	p.X.Tick.Marker = report.IntegerTicks{}
	_, err = report.Save(p, dir, base)
	return err
}
