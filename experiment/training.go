package experiment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/circuitry-lab/circuitry/internal/checkpoint"
	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/nn"
)

// RestoreTraining loads parameters, optimiser state and streams.
func RestoreTraining(st *checkpoint.State, params []*nn.Param, opt nn.Optimizer, streams map[string]*RNG) error {
	if len(st.Params) != len(params) {
		return fmt.Errorf("checkpoint has %d parameters, the model %d", len(st.Params), len(params))
	}
	for i, p := range params {
		if st.Params[i].Name != p.Name || len(st.Params[i].Data) != len(p.Value.Data) {
			return fmt.Errorf("parameter %s does not match the model's %s", st.Params[i].Name, p.Name)
		}
		copy(p.Value.Data, st.Params[i].Data)
	}
	live := opt.State()
	if len(live) != len(st.Optim) {
		return fmt.Errorf("optimiser state has %d buffers, want %d", len(st.Optim), len(live))
	}
	for i := range live {
		// A buffer of another length (a valid checksum over a hand-made or
		// foreign file) would leave part of the live state stale: a resume
		// to different weights, not an error, without this check.
		if len(st.Optim[i]) != len(live[i]) {
			return fmt.Errorf("optimiser buffer %d has %d values, its parameter %d", i, len(st.Optim[i]), len(live[i]))
		}
		copy(live[i], st.Optim[i])
	}
	if st.OptimCounter < 0 {
		return fmt.Errorf("optimiser step count %d", st.OptimCounter)
	}
	opt.SetCounter(st.OptimCounter)
	for name, r := range streams {
		if err := r.Restore(st.Streams[name]); err != nil {
			return fmt.Errorf("stream %s: %w", name, err)
		}
	}
	return nil
}

// SetLR applies the learning-rate schedule at step (0-based) of total to
// every group, relative to the group's base rate.
func SetLR(o nn.Optimizer, base []float64, schedule string, step, total int) {
	if schedule != "cosine" {
		return
	}
	f := 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
	gs := o.ParamGroups()
	for i := range gs {
		gs[i].LR = base[i] * f
	}
}

// ParamTensors lists parameters as safetensors tensors in PyTorch's
// shapes: matrices rows x cols, biases (NAME.b, NAME.bias: 1 x n) as (n,).
func ParamTensors(ps []*nn.Param) []safetensors.Tensor {
	ts := make([]safetensors.Tensor, len(ps))
	for i, p := range ps {
		shape := []int{p.Value.Rows, p.Value.Cols}
		if p.Value.Rows == 1 && (strings.HasSuffix(p.Name, ".b") || strings.HasSuffix(p.Name, ".bias")) {
			shape = []int{p.Value.Cols}
		}
		ts[i] = safetensors.Tensor{Name: p.Name, Shape: shape, Data: p.Value.Data}
	}
	return ts
}

// SharedProgress merges the progress of networks trained in parallel
// into one phase; their own phase summaries become log lines.
// SharedProgress merges the progress of work done in parallel (networks
// trained side by side) into one phase of the underlying Progress; the
// workers' own phase summaries become log lines.
type SharedProgress struct {
	mu  sync.Mutex
	p   Progress
	log io.Writer
}

// NewSharedProgress starts one phase of total units on p.
func NewSharedProgress(p Progress, log io.Writer, label string, total int) *SharedProgress {
	p.Start(label, total)
	return &SharedProgress{p: p, log: log}
}

// Done ends the shared phase.
func (sp *SharedProgress) Done(summary string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.p.Finish(summary)
}

// Start does nothing: a worker's phase is part of the shared one.
func (sp *SharedProgress) Start(string, int) {}

// Add advances the shared phase.
func (sp *SharedProgress) Add(n int, status string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.p.Add(n, status)
}

// Skip counts a resumed worker's earlier units in the shared phase.
func (sp *SharedProgress) Skip(n int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.p.Skip(n)
}

// Finish logs a worker's summary line.
func (sp *SharedProgress) Finish(summary string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	fmt.Fprintln(sp.log, summary)
}

// CheckpointPath is where a run directory keeps its latest checkpoint (the
// one before it as CheckpointPath+".prev").
const CheckpointPath = "checkpoints/checkpoint.bin"

// Trainable is what a trainer checkpoints and restores besides its own
// loop state: its parameters, optimiser and named random streams. Kind
// names the trainer; a checkpoint of another kind is refused.
type Trainable struct {
	Kind    string
	Params  []*nn.Param
	Optim   nn.Optimizer
	Streams map[string]*RNG
}

// SaveCheckpoint writes t at position (epoch, step) under the config hash,
// with loop (the trainer's own state, JSON-encoded) and the metrics written
// so far, then seals the run directory so an interruption can be cleared
// exactly. Both trainers call it, so a checkpoint means the same thing in
// every study.
func (r *RunDir) SaveCheckpoint(t Trainable, hash string, epoch, step int, elapsed float64, loop any) error {
	lb, err := json.Marshal(loop)
	if err != nil {
		return err
	}
	st := &checkpoint.State{Kind: t.Kind, ConfigHash: hash, Epoch: epoch, Step: step, Elapsed: elapsed,
		OptimCounter: t.Optim.Counter(), Optim: t.Optim.State(), Loop: lb, Metrics: r.Metrics(),
		Streams: map[string][]byte{}}
	for name, s := range t.Streams {
		st.Streams[name] = s.State()
	}
	for _, p := range t.Params {
		st.Params = append(st.Params, checkpoint.Tensor{Name: p.Name, Data: p.Value.Data})
	}
	if err := checkpoint.Save(filepath.Join(r.Path, CheckpointPath), st); err != nil {
		return err
	}
	return r.Seal()
}

// LoadCheckpoint restores t from the run's checkpoint and decodes the
// trainer's loop state into loop; check, when set, validates the restored
// position (the checksum only proves the file is whole, not that a
// hand-made or foreign one is sensible). It refuses a damaged checkpoint
// (pointing at the .prev copy), a missing one, and one written by another
// trainer or config; on success the run's metrics are those of the
// checkpoint. Every error names the file.
func (r *RunDir) LoadCheckpoint(t Trainable, hash string, loop any, check func(*checkpoint.State) error) (*checkpoint.State, error) {
	path := filepath.Join(r.Path, CheckpointPath)
	st, err := checkpoint.Load(path)
	switch {
	case errors.Is(err, checkpoint.ErrCorrupt):
		return nil, fmt.Errorf("%w (the previous checkpoint is kept as %s.prev: copy it over to resume from there, or --force to retrain)", err, path)
	case err != nil:
		return nil, fmt.Errorf("%s: no checkpoint to resume from: %w", r.Path, err)
	case st.Kind != t.Kind || st.ConfigHash != hash:
		return nil, fmt.Errorf("%s was written by a different config (or trainer) than %s: refusing to resume — use --force to retrain", path, filepath.Join(r.Path, "config.yaml"))
	}
	if err := RestoreTraining(st, t.Params, t.Optim, t.Streams); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(st.Loop) > 0 {
		if err := json.Unmarshal(st.Loop, loop); err != nil {
			return nil, fmt.Errorf("%s: loop state: %w", path, err)
		}
	}
	if check != nil {
		if err := check(st); err != nil {
			return nil, fmt.Errorf("%s: %w (the checksum is valid: written by another version, or by hand)", path, err)
		}
	}
	r.RestoreMetrics(st.Metrics)
	return st, nil
}
