package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/classify"
)

// dryRunHelp is the --dry-run flag's help, shared by train, run and
// reproduce.
const dryRunHelp = "check the config and overrides and say what would run (train, resume, reuse or re-analyse per run), writing and training nothing"

// dryRunClassifier says what `train` would do with cfg: the run's
// directory and the integrity policy's action for it.
func dryRunClassifier(w io.Writer, cfg classify.Config, force bool) error {
	dir := filepath.Join(cfg.Out.Dir, cfg.Name)
	act, err := experiment.Inspect(dir, classify.Spec(cfg), classify.CheckpointPath, force)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "dry run: would %s %s (%d epochs); nothing written\n", act, dir, cfg.Train.Epochs)
	return nil
}

// dryRunStudies says, per study, how many points it has and what each
// would do; a refused point (another config in its directory) is the
// error `run` would give.
func dryRunStudies(w io.Writer, studies []experiment.Study, force bool) error {
	for _, st := range studies {
		pts, err := st.Points()
		if err != nil {
			return err
		}
		counts := map[experiment.Action]int{}
		for _, p := range pts {
			act, err := experiment.Inspect(p.Dir, p.Spec, p.Checkpoint, force)
			if err != nil {
				return err
			}
			counts[act]++
		}
		fmt.Fprintf(w, "dry run: %s: %d points", st.Dir(), len(pts))
		for _, a := range []experiment.Action{experiment.Train, experiment.Restart, experiment.Resume, experiment.Reanalyse, experiment.Reuse} {
			if counts[a] > 0 {
				fmt.Fprintf(w, ", %d to %s", counts[a], a)
			}
		}
		fmt.Fprintln(w, "; nothing written")
	}
	return nil
}
