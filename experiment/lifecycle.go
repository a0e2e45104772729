package experiment

import (
	"context"
	"fmt"
)

// Lifecycle is one run directory's work as a trainer defines it. The
// engine decides which part runs (Claim's Action under the directory's
// lock) and holds the lock around it, so claim, reuse, re-analysis,
// resume and training are decided in one place for every study; a
// trainer writes only what its kind does in each case.
type Lifecycle[R any] interface {
	// Reuse loads the result of a finished run of the same config,
	// verifying what it reads.
	Reuse(run *RunDir) (R, error)
	// Reanalyse recomputes a finished run's analyses from its saved
	// weights (its analysis version or analysis keys changed).
	Reanalyse(run *RunDir) (R, error)
	// Train trains run from the start or, with resume, from its
	// checkpoint; it writes the run's outputs and marks it finished.
	Train(ctx context.Context, run *RunDir, resume bool) (R, error)
}

// ExecuteOptions says how Execute may treat a run directory.
type ExecuteOptions struct {
	// Force retrains over whatever the directory holds (circuitry's own
	// files only).
	Force bool
	// ResumeOnly refuses anything but continuing an interrupted run from
	// its checkpoint (`circuitry resume`): decided before the directory is
	// touched, and again under its lock.
	ResumeOnly bool
}

// Execute claims dir for spec and runs the part of l that the integrity
// policy decides: Reuse for a finished run of the same config, Reanalyse
// for one finished with other analysis settings, Train with resume for an
// interrupted one with a checkpoint, Train from the start otherwise. It
// returns l's result and the action taken; a refusal leaves dir untouched.
func Execute[R any](ctx context.Context, dir string, spec RunSpec, opt ExecuteOptions, l Lifecycle[R]) (R, Action, error) {
	var zero R
	if opt.ResumeOnly {
		if opt.Force {
			return zero, 0, fmt.Errorf("%s: resuming cannot also force a retrain", dir)
		}
		if err := Resumable(dir, spec, CheckpointPath); err != nil {
			return zero, 0, err
		}
	}
	run, act, err := Claim(dir, spec, CheckpointPath, opt.Force)
	if err != nil {
		return zero, 0, err
	}
	defer run.Close()
	if opt.ResumeOnly && act != Resume {
		// Another process finished or removed it between the two looks.
		return zero, act, fmt.Errorf("%s: changed while resuming (now: %s)", dir, act)
	}
	var r R
	switch act {
	case Reuse:
		r, err = l.Reuse(run)
	case Reanalyse:
		r, err = l.Reanalyse(run)
	default: // Train, Restart, Resume
		r, err = l.Train(ctx, run, act == Resume)
	}
	return r, act, err
}
