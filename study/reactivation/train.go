package reactivation

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/checkpoint"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/task/pathint"
	"github.com/circuitry-lab/circuitry/tensor"
)

// record is one line of metrics.jsonl during training.
type record struct {
	Step      int            `json:"step"`
	Loss      analysis.Float `json:"loss"`
	DecodeErr analysis.Float `json:"decode_err"`
	Seconds   float64        `json:"seconds"`
}

// trainer is one network's training: everything a checkpoint holds.
type trainer struct {
	s           Config
	name        string
	run         *experiment.RunDir
	task        pathint.Task
	net         rnn.Net
	opt         nn.Optimizer
	traj, noise *experiment.RNG
	first       int     // the next step
	elapsed     float64 // training seconds before this process
	loss        float64 // the last step's loss (kept by the end-of-training checkpoint)
}

func newTrainer(s Config, cond string, seed uint64, run *experiment.RunDir, workers int) (*trainer, error) {
	task := s.NewTask(conditions[cond].biased, seed)
	net, err := s.newNet(cond, task, seed, workers)
	if err != nil {
		return nil, err
	}
	return &trainer{s: s, name: pointName(cond, seed), run: run, task: task, net: net,
		opt:  nn.NewAdam(nn.Group{Name: "all", Params: net.Params(), LR: s.Train.LR}),
		traj: experiment.NewRNG(seed, "trajectories"), noise: experiment.NewRNG(seed, "noise"), first: 1}, nil
}

// trainable is what the trainer checkpoints besides its loop state.
func (t *trainer) trainable() experiment.Trainable {
	return experiment.Trainable{Kind: "reactivation", Params: t.net.Params(), Optim: t.opt,
		Streams: map[string]*experiment.RNG{"trajectories": t.traj, "noise": t.noise}}
}

// trainerLoop is the trainer's own checkpointed state.
type trainerLoop struct{ Loss float64 }

// resume loads the run's checkpoint, refusing one of another config.
func (t *trainer) resume() error {
	check := func(st *checkpoint.State) error {
		if st.Step < 1 || st.Step > t.s.Train.Steps+1 {
			return fmt.Errorf("step %d, the config trains steps 1 to %d", st.Step, t.s.Train.Steps)
		}
		return nil
	}
	var loop trainerLoop
	st, err := t.run.LoadCheckpoint(t.trainable(), t.run.Fingerprint(), &loop, check)
	if err != nil {
		return err
	}
	t.first, t.elapsed, t.loss = st.Step, st.Elapsed, loop.Loss
	return nil
}

// save checkpoints the position before step.
func (t *trainer) save(step int, secs float64) error {
	return t.run.SaveCheckpoint(t.trainable(), t.run.Fingerprint(), 0, step, secs, trainerLoop{t.loss})
}

// train runs Adam on a fresh batch every step from t.first, checkpointing
// every train.checkpoint_every steps and on interruption, and records the
// training time and final loss in r.
func (t *trainer) train(ctx context.Context, progress experiment.Progress, r *Result) error {
	s, task, net := t.s, t.task, t.net
	mse := &nn.MSE{}
	var batch pathint.Batch // reused every step
	baseLR := []float64{s.Train.LR}
	progress.Start(t.name, s.Train.Steps)
	progress.Skip(t.first - 1) // steps trained before a resume
	counted := t.first - 1     // steps the progress has been told about
	start := time.Now()
	secs := func() float64 { return t.elapsed + time.Since(start).Seconds() }
	loss := t.loss
	for step := t.first; step <= s.Train.Steps; step++ {
		if err := ctx.Err(); err != nil {
			if serr := t.save(step, secs()); serr != nil {
				return serr
			}
			return fmt.Errorf("interrupted at step %d; checkpoint written, re-run the study to resume: %w", step, err)
		}
		if ce := s.Train.CheckpointEvery; ce > 0 && step > t.first && (step-1)%ce == 0 {
			if err := t.save(step, secs()); err != nil {
				return err
			}
		}
		b := task.Sample(t.traj.Rand, s.Train.Batch, &batch)
		x, c0, tgt := tensor.FromSlice(b.T*b.B, task.NIn(), b.X), tensor.FromSlice(b.B, s.Network.Cells, b.Init), tensor.FromSlice(b.T*b.B, s.Network.Cells, b.Target)
		experiment.SetLR(t.opt, baseLR, s.Train.LRSchedule, step-1, s.Train.Steps)
		nn.ZeroGrad(net.Params())
		y := net.Forward(x, c0, t.noise.Rand)
		mse.Set(y, tgt)
		logged, last := step%s.Train.LogEvery == 0 || step == s.Train.Steps, loss
		if logged {
			// The loss is summed only where it is recorded: a serial sum of
			// T x B x cells terms (Backward says whether it is finite).
			loss = mse.Value()
		}
		dy := mse.Backward()
		if !mse.Finite() {
			// Nothing downstream (decoding, densities) means anything for a
			// network whose state is not finite; say so instead of analysing it.
			return fmt.Errorf("training loss is not finite at step %d (diverged; the last loss recorded was %.3g): lower train.lr", step, last)
		}
		net.Backward(dy)
		t.opt.Step()
		if p, ok := net.(interface{ Project() }); ok {
			p.Project() // Dale's law: restore the weight signs
		}
		if logged {
			rec := record{Step: step, Loss: analysis.Float(loss), DecodeErr: analysis.Float(decodeError(task, y, b.Truth)), Seconds: secs()}
			if err := t.run.AppendMetrics(rec); err != nil {
				return err
			}
			progress.Add(step-counted, fmt.Sprintf("%s step %d: loss %.3g err %.4f", t.name, step, loss, float64(rec.DecodeErr)))
			counted = step
		}
	}
	r.SecondsPerStep = secs() / float64(s.Train.Steps)
	r.FinalLoss = analysis.Float(loss)
	if t.first <= s.Train.Steps {
		// Trained in this process: checkpoint its end, so an interruption
		// during the analyses (minutes at the study's scale) resumes
		// without retraining.
		t.loss = loss
		if err := t.save(s.Train.Steps+1, secs()); err != nil {
			return err
		}
	}
	progress.Finish(fmt.Sprintf("%s: trained %d steps, %.3f s/step, loss %.3g", t.name, s.Train.Steps, r.SecondsPerStep, loss))
	return nil
}

// newNet builds the condition's network with the seed's initial weights.
func (s *Config) newNet(cond string, task pathint.Task, seed uint64, workers int) (rnn.Net, error) {
	c, nc := conditions[cond], s.Network
	cfg := rnn.Config{NIn: task.NIn(), NRec: nc.NRec, NOut: nc.Cells, NInit: nc.Cells, Alpha: nc.Dt / nc.Tau, Activation: nc.Activation,
		Noise: nc.Noise, SigmaIn: math.Sqrt(nc.Sigma2In), SigmaOut: math.Sqrt(nc.Sigma2Out), Workers: workers}
	if c.noisy {
		cfg.SigmaRec = math.Sqrt(nc.Sigma2Rec)
	}
	if c.dale {
		cfg.Inhibitory = int(nc.InhibitoryFraction * float64(nc.NRec))
		cfg.Normalize, cfg.NormGain = c.normalize, nc.NormGain
	}
	if c.gru {
		return rnn.NewGRU(cfg, experiment.Stream(seed, "init"))
	}
	return rnn.New(cfg, experiment.Stream(seed, "init"))
}

// newUntrained is the study's untrained control: a freshly initialised
// vanilla RNN of the network's shape (whatever the condition's
// architecture), with the task's noisy training noise.
func (s *Config) newUntrained(task pathint.Task, seed uint64, workers int) (rnn.Net, error) {
	nc := s.Network
	cfg := rnn.Config{NIn: task.NIn(), NRec: nc.NRec, NOut: nc.Cells, NInit: nc.Cells, Alpha: nc.Dt / nc.Tau, Activation: nc.Activation,
		Noise: nc.Noise, SigmaRec: math.Sqrt(nc.Sigma2Rec), Workers: workers}
	return rnn.New(cfg, experiment.Stream(seed, "init-untrained"))
}
