package classify

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/task/images"
	"github.com/circuitry-lab/circuitry/tensor"
)

// RunOptions are the per-invocation settings that are not part of a
// run's identity (so they are not in its config).
type RunOptions struct {
	DataDir  string              // --data: overrides config data.dir
	Force    bool                // overwrite an existing run directory
	Progress experiment.Progress // nil: Quiet
	Log      io.Writer           // notices; nil: discarded
	// Train and Test, when set, are used instead of loading data (sweeps
	// share one read-only copy across runs).
	Train, Test *images.Set
	Source      images.Source
	// GEMMWorkers caps the goroutines of the network's products (0: as
	// many as pay; 1 when runs train side by side, one per core).
	GEMMWorkers int
}

// EpochRecord is one line of metrics.jsonl.
type EpochRecord struct {
	Epoch     int            `json:"epoch"`
	TrainLoss analysis.Float `json:"train_loss"` // null once diverged
	TrainAcc  float64        `json:"train_acc"`
	TestLoss  analysis.Float `json:"test_loss"`
	TestAcc   float64        `json:"test_acc"`
	Seconds   float64        `json:"seconds"`
	// Dale's-law networks: the I-Norm local loss and, per hidden layer, the
	// across-unit mean and variance of z and the gradient cosine to exact
	// layer norm, averaged over the epoch's training batches.
	LocalLoss analysis.Float  `json:"local_loss,omitempty"`
	Layers    []ei.LayerStats `json:"layers,omitempty"`
}

// Summary is summary.json of a classifier run.
type Summary struct {
	Name          string         `json:"name"`
	RunDir        string         `json:"run_dir"`
	Data          string         `json:"data"`
	TrainImages   int            `json:"train_images"`
	TestImages    int            `json:"test_images"`
	Luminosity    float64        `json:"luminosity"`
	Epochs        int            `json:"epochs"`
	FinalTestAcc  float64        `json:"final_test_acc"`  // shifted test set, as trained
	FinalTestLoss analysis.Float `json:"final_test_loss"` // shifted test set
	CleanTestAcc  float64        `json:"clean_test_acc"`  // unshifted test set
	BestTestAcc   float64        `json:"best_test_acc"`
	EpochSeconds  float64        `json:"epoch_seconds"` // mean training time per epoch
	TotalSeconds  float64        `json:"total_seconds"`
	Kernel        string         `json:"gemm_kernel"`
	Diverged      bool           `json:"diverged"` // a non-finite training loss stopped the run
	// DivergedStep is the first training step (1-based, counted over
	// epochs) whose batch loss was not finite; the run stops at the end of
	// that epoch, and metrics.jsonl keeps every earlier epoch's finite
	// record.
	DivergedStep int          `json:"diverged_step,omitempty"`
	Condition    string       `json:"condition,omitempty"`
	Final        *EpochRecord `json:"final_epoch,omitempty"`
	// TrainEvalLayers are the study's activity moments: each hidden
	// layer's across-unit mean and variance (before ReLU and any layer
	// norm) on the last batch of a training-set evaluation pass after the
	// final epoch, with fresh luminosity draws (Dale's-law networks that
	// did not diverge).
	TrainEvalLayers []ei.LayerStats `json:"train_eval_last_batch_layers,omitempty"`
	// LastStepAlignment is the study's per-layer output and gradient
	// alignment (ei.LayerAlignment) on the batch of the last training step,
	// as the study logs it (Dale's-law networks that did not diverge).
	LastStepAlignment []ei.LayerAlignment `json:"last_step_alignment,omitempty"`
	// StepZeroLayers are the first training batch's moments before any
	// update, per layer with inhibitory units (ei.StepZeroMoments): the
	// evidence for the study's check 1 (absent in runs written before it).
	StepZeroLayers []ei.StepZeroMoments `json:"step0_layers,omitempty"`
}

// classifier is what the training loop needs from a network.
type classifier interface {
	Forward(x *tensor.Mat) *tensor.Mat
	Backward(dlogits *tensor.Mat)
	Groups(t TrainConfig) []nn.Group
	SetWorkers(w int) // caps the goroutines of its products
}

// mlpModel adapts an nn.Sequential.
type mlpModel struct{ nn.Sequential }

func (m mlpModel) Backward(d *tensor.Mat) { m.Sequential.Backward(d) }

func (m mlpModel) SetWorkers(w int) {
	for _, l := range m.Sequential {
		if lin, ok := l.(*nn.Linear); ok {
			lin.Workers = w
		}
	}
}

func (m mlpModel) Groups(t TrainConfig) []nn.Group {
	return []nn.Group{{Name: "all", Params: m.Params(), LR: t.LR}}
}

// daleModel adapts the inhibitory-normalisation study's networks.
type daleModel struct{ *ei.Network }

func (m daleModel) Groups(t TrainConfig) []nn.Group { return m.Network.Groups(t.LR, t.LRWix, t.LRWei) }

func buildModel(m ModelConfig, in, classes int, rng *rand.Rand) (classifier, error) {
	prec := tensor.Float32
	if m.Precision != "" {
		var err error
		if prec, err = tensor.ParsePrecision(m.Precision); err != nil {
			return nil, fmt.Errorf("model.precision: %w", err)
		}
	}
	if m.Kind == "mlp" {
		net := buildMLP(m, in, classes, rng)
		for _, l := range net {
			if lin, ok := l.(*nn.Linear); ok {
				lin.Precision = prec
			}
		}
		return mlpModel{net}, nil
	}
	var inh []int
	if len(m.Inhibitory) > 0 {
		inh = m.Inhibitory
	}
	cond := ei.Conditions[m.Condition]
	cond.StandardizedZ = m.ZHatBackward
	net, err := ei.NewNetwork(cond, in, m.Hidden, inh, classes, m.Lambda, rng)
	if err != nil {
		return nil, err
	}
	net.SetPrecision(prec)
	net.SetDANNInputsFirst(m.DANNOrder == InputsFirst)
	return daleModel{net}, nil
}

// buildMLP makes the network the config describes: [CenterRows], then
// Linear [LayerNorm] act per hidden layer, then a Linear read-out.
func buildMLP(m ModelConfig, in, classes int, rng *rand.Rand) nn.Sequential {
	var net nn.Sequential
	if m.CenterInput {
		net = append(net, &nn.CenterRows{})
	}
	for i, h := range m.Hidden {
		fc := nn.NewLinear(fmt.Sprintf("fc%d", i+1), in, h, true, rng)
		fc.SkipInputGrad = i == 0 // the images need no gradient
		net = append(net, fc)
		if m.LayerNorm {
			net = append(net, nn.NewLayerNorm(fmt.Sprintf("ln%d", i+1), h, false))
		}
		if m.Activation == "tanh" {
			net = append(net, &nn.Tanh{})
		} else {
			net = append(net, &nn.ReLU{})
		}
		in = h
	}
	return append(net, nn.NewLinear("out", in, classes, true, rng))
}

func newOptimizer(t TrainConfig, groups []nn.Group) nn.Optimizer {
	for i := range groups {
		groups[i].Momentum, groups[i].WeightDecay, groups[i].Nesterov = t.Momentum, t.WeightDecay, t.Nesterov
	}
	if t.Optimizer == "adam" {
		return nn.NewAdam(groups...)
	}
	return nn.NewSGD(groups...)
}

// LoadData finds and loads the config's dataset; dataDir (the --data flag)
// wins over data.dir. It logs a notice when falling back to embedded data.
func LoadData(cfg DataConfig, dataDir string, log io.Writer) (train, test *images.Set, src images.Source, err error) {
	if dataDir == "" {
		dataDir = cfg.Dir
	}
	if src, err = images.FindFashionMNIST(dataDir); err != nil {
		return nil, nil, src, err
	}
	if src.Kind == "embedded" {
		images.NoteEmbedded(log)
	}
	train, test, err = images.LoadFashionMNIST(src)
	return train, test, src, err
}

func init() {
	experiment.RegisterHeadline("classifier", "final_test_acc", "clean_test_acc", "diverged", "epoch_seconds")
	// An epoch record's seconds are that epoch's; batches/measured count
	// the batches a layer's statistics averaged.
	experiment.RegisterTensorBoard("classifier", experiment.TensorBoardTags{
		Rename:  map[string]string{"seconds": "time/epoch_seconds"},
		Skip:    []string{"layers/*/batches", "layers/*/measured"},
		Seconds: "seconds", PerRecord: true})
}

// classifierRun is a training run's state; everything in loopState and
// the streams goes into checkpoints.
type classifierRun struct {
	cfg         Config
	opt         RunOptions
	src         images.Source
	run         *experiment.RunDir
	train, test *images.Set
	shiftedTest []float32
	net         classifier
	dale        daleModel
	groups      []nn.Group
	params      []*nn.Param
	optim       nn.Optimizer
	workers     int // the optimiser's and gradient clearing's goroutines
	baseLR      []float64
	loss        *nn.SoftmaxCrossEntropy
	order, lum  *experiment.RNG
	lumTest     *experiment.RNG // the test set's shifts
	sum         *Summary
	st          loopState
}

// loopState is where training stands: the next (epoch, step), this
// epoch's data order and running sums.
type loopState struct {
	Epoch, Step int
	Perm        []int
	// The sums are analysis.Float so that a checkpoint taken after a
	// non-finite loss still encodes (as null, read back as NaN).
	LossSum, LocalSum analysis.Float
	Correct           int
	Stats             []ei.LayerStats
	TrainSeconds      float64
	Best              float64
	Diverged          bool
	DivergedStep      int `json:",omitempty"`
	// StepZero: the first batch's moments before any update (Dale's-law
	// networks), kept here so a resumed run still reports them.
	StepZero []ei.StepZeroMoments `json:",omitempty"`
}

func newClassifierRun(cfg Config, opt RunOptions) (*classifierRun, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Progress == nil {
		opt.Progress = experiment.Quiet{}
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	r := &classifierRun{cfg: cfg, opt: opt}
	train, test, src := opt.Train, opt.Test, opt.Source
	if train == nil {
		var err error
		if train, test, src, err = LoadData(cfg.Data, opt.DataDir, opt.Log); err != nil {
			return nil, err
		}
	}
	r.src = src
	if cfg.Data.TrainLimit > 0 && cfg.Data.TrainLimit < train.N {
		train = &images.Set{N: cfg.Data.TrainLimit, Rows: train.Rows, Cols: train.Cols, Classes: train.Classes,
			Pixels: train.Pixels[:cfg.Data.TrainLimit*train.Dim()], Labels: train.Labels[:cfg.Data.TrainLimit]}
	}
	if cfg.Train.BatchSize > train.N {
		return nil, fmt.Errorf("train.batch_size = %d exceeds the %d training images", cfg.Train.BatchSize, train.N)
	}
	r.train, r.test = train, test
	var err error
	if r.net, err = buildModel(cfg.Model, train.Dim(), train.Classes, experiment.Stream(cfg.Seed, "init")); err != nil {
		return nil, err
	}
	r.net.SetWorkers(opt.GEMMWorkers)
	r.groups = r.net.Groups(cfg.Train)
	r.params = nn.ParamsOf(r.groups)
	r.optim = newOptimizer(cfg.Train, r.groups)
	workers := opt.GEMMWorkers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	r.workers = workers
	switch o := r.optim.(type) {
	case *nn.Adam:
		o.Workers = workers
	case *nn.SGD:
		o.Workers = workers
	}
	for _, g := range r.groups {
		r.baseLR = append(r.baseLR, g.LR)
	}
	r.dale, _ = r.net.(daleModel)
	r.loss = &nn.SoftmaxCrossEntropy{Smoothing: cfg.Train.LabelSmoothing}
	// The test set's luminosity shifts are drawn once, so every epoch is
	// evaluated on the same images.
	// The test set's luminosity shifts: drawn once (data.fixed_test_shift),
	// so every epoch is evaluated on the same images, or afresh before
	// every evaluation, as in the authors' code.
	r.shiftedTest = make([]float32, len(test.Pixels))
	r.lumTest = experiment.NewRNG(cfg.Seed, "luminosity-test")
	if cfg.Data.FixedTestShift {
		images.ShiftRandom(r.shiftedTest, test.Pixels, test.Dim(), cfg.Data.Luminosity, r.lumTest.Rand)
	}
	r.order, r.lum = experiment.NewRNG(cfg.Seed, "data-order"), experiment.NewRNG(cfg.Seed, "luminosity-train")
	r.sum = &Summary{Name: cfg.Name, Data: src.String(), TrainImages: train.N, TestImages: test.N,
		Luminosity: cfg.Data.Luminosity, Epochs: cfg.Train.Epochs, Kernel: kernels.Backend()}
	if cfg.Model.Kind == "dale" {
		r.sum.Condition = cfg.Model.Condition
	}
	r.st = loopState{Epoch: 1}
	return r, nil
}

// trainable is what the run checkpoints besides its loop state.
func (r *classifierRun) trainable() experiment.Trainable {
	return experiment.Trainable{Kind: "classifier", Params: r.params, Optim: r.optim,
		Streams: map[string]*experiment.RNG{"data-order": r.order, "luminosity-train": r.lum, "luminosity-test": r.lumTest}}
}

// save writes a checkpoint of the current position.
func (r *classifierRun) save() error {
	if r.dale.Network != nil {
		r.st.Stats = r.dale.Stats()
	}
	return r.run.SaveCheckpoint(r.trainable(), configHash(r.cfg), r.st.Epoch, r.st.Step, 0, r.st)
}

// checkLoop validates a restored loop position against the config and
// data, so a checkpoint with a valid checksum but impossible contents is
// an error, not an index out of range or a silently different run.
func (r *classifierRun) checkLoop() error {
	st, cfg := &r.st, r.cfg
	steps := r.train.N / cfg.Train.BatchSize
	if st.Epoch < 1 || st.Epoch > cfg.Train.Epochs {
		return fmt.Errorf("epoch %d, the config trains 1 to %d", st.Epoch, cfg.Train.Epochs)
	}
	if st.Step < 0 || st.Step > steps {
		return fmt.Errorf("step %d, an epoch has %d", st.Step, steps)
	}
	if st.DivergedStep < 0 || st.TrainSeconds < 0 || math.IsInf(st.TrainSeconds, 0) {
		return fmt.Errorf("counters out of range (diverged step %d, training seconds %v)", st.DivergedStep, st.TrainSeconds)
	}
	if st.Perm == nil {
		return nil
	}
	if len(st.Perm) != r.train.N {
		return fmt.Errorf("data order of %d images, the data has %d", len(st.Perm), r.train.N)
	}
	seen := make([]bool, r.train.N)
	for _, i := range st.Perm {
		if i < 0 || i >= r.train.N || seen[i] {
			return fmt.Errorf("the data order is not a permutation of the %d images", r.train.N)
		}
		seen[i] = true
	}
	// Mid-epoch (an order kept), the epoch's counters cover its first Step
	// batches; at an epoch's end they are reset when the next one begins.
	if n := st.Step * cfg.Train.BatchSize; st.Correct < 0 || st.Correct > n {
		return fmt.Errorf("%d correct predictions after %d images", st.Correct, n)
	}
	if r.dale.Network != nil && st.Stats != nil && len(st.Stats) != len(cfg.Model.Hidden) {
		return fmt.Errorf("%d layer statistics, the network has %d hidden layers", len(st.Stats), len(cfg.Model.Hidden))
	}
	return nil
}

func (r *classifierRun) fit(ctx context.Context) (*Summary, error) {
	cfg, opt, train := r.cfg, r.opt, r.train
	bs := cfg.Train.BatchSize
	steps := train.N / bs // the last partial batch is dropped, as in PyTorch's drop_last
	x := tensor.New(bs, train.Dim())
	labels := make([]uint8, bs)
	begin := time.Now()
	for ; r.st.Epoch <= cfg.Train.Epochs && !r.st.Diverged; r.st.Epoch++ {
		epoch := r.st.Epoch
		start := time.Now()
		if r.st.Perm == nil { // a new epoch (a resumed one keeps its order)
			r.st.Perm = epochOrder(train.N, cfg.Train.Shuffle, r.order)
			r.st.Step, r.st.LossSum, r.st.LocalSum, r.st.Correct = 0, 0, 0, 0
			if r.dale.Network != nil {
				r.dale.ResetStats()
			}
		}
		opt.Progress.Start(fmt.Sprintf("epoch %d/%d", epoch, cfg.Train.Epochs), steps)
		for ; r.st.Step < steps; r.st.Step++ {
			s := r.st.Step
			if err := ctx.Err(); err != nil {
				if r.run != nil && r.run.Path != "" {
					if serr := r.save(); serr != nil {
						return nil, serr
					}
					return nil, fmt.Errorf("interrupted at epoch %d step %d; checkpoint written, continue with `circuitry resume %s`: %w", epoch, s, r.run.Path, err)
				}
				return nil, fmt.Errorf("interrupted at epoch %d step %d: %w", epoch, s, err)
			}
			if ce := cfg.Train.CheckpointEvery; ce > 0 && s > 0 && ((epoch-1)*steps+s)%ce == 0 {
				if err := r.save(); err != nil {
					return nil, err
				}
			}
			r.step(x, labels, epoch, s, steps)
			if s%50 == 0 {
				opt.Progress.Add(min(50, steps-s), fmt.Sprintf("loss %.3f", float64(r.st.LossSum)/float64(s+1)))
			}
		}
		secs := time.Since(start).Seconds()
		r.st.TrainSeconds += secs
		if err := r.endEpoch(epoch, steps, secs); err != nil {
			return nil, err
		}
		r.st.Perm = nil
		r.st.Step = 0
		if epoch < cfg.Train.Epochs && !r.st.Diverged {
			r.st.Epoch++ // checkpoint the start of the next epoch
			err := r.save()
			r.st.Epoch--
			if err != nil {
				return nil, err
			}
		}
	}
	sum := r.sum
	sum.Diverged = r.st.Diverged
	sum.BestTestAcc = r.st.Best
	if sum.Diverged {
		sum.DivergedStep = r.st.DivergedStep
		sum.LastStepAlignment = nil
	}
	if r.dale.Network != nil && !r.st.Diverged {
		sum.TrainEvalLayers = r.trainEvalMoments()
	}
	sum.StepZeroLayers = r.st.StepZero
	_, sum.CleanTestAcc = evaluate(r.net, r.loss, r.test, r.test.Pixels, cfg.Train.EvalBatch)
	sum.EpochSeconds = r.st.TrainSeconds / float64(cfg.Train.Epochs)
	sum.TotalSeconds = time.Since(begin).Seconds()
	if err := r.writeWeights(); err != nil {
		return nil, err
	}
	if err := r.run.WriteJSON("summary.json", sum); err != nil {
		return nil, err
	}
	if err := writeRunReport(r.run, r.cfg, sum); err != nil {
		return nil, err
	}
	return sum, r.run.MarkFinished()
}

// trainEvalMoments measures the hidden layers' moments on the last batch
// of an evaluation pass over the training images in file order (the
// remainder batch when batch_size does not divide them), shifted with
// fresh draws, as the authors log them.
func (r *classifierRun) trainEvalMoments() []ei.LayerStats {
	train, bs, d := r.train, r.cfg.Train.BatchSize, r.train.Dim()
	last := train.N % bs
	if last == 0 {
		last = bs
	}
	x := tensor.New(last, d)
	copy(x.Data, train.Pixels[(train.N-last)*d:train.N*d])
	images.ShiftRandom(x.Data, x.Data, d, r.cfg.Data.Luminosity, experiment.Stream(r.cfg.Seed, "luminosity-train-eval"))
	r.dale.ResetStats()
	r.dale.Forward(x)
	return r.dale.Stats()
}

// epochOrder is the order of the n training images in one epoch: a new
// permutation from the data-order stream, or file order (the authors').
func epochOrder(n int, shuffle bool, order *experiment.RNG) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if shuffle {
		order.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	}
	return perm
}

// shiftTest draws the test set's luminosity shifts afresh before an
// evaluation, unless they were drawn once (data.fixed_test_shift).
func (r *classifierRun) shiftTest() {
	if !r.cfg.Data.FixedTestShift {
		images.ShiftRandom(r.shiftedTest, r.test.Pixels, r.test.Dim(), r.cfg.Data.Luminosity, r.lumTest.Rand)
	}
}

// step trains on batch s of the epoch.
func (r *classifierRun) step(x *tensor.Mat, labels []uint8, epoch, s, steps int) {
	cfg, train := r.cfg, r.train
	bs := cfg.Train.BatchSize
	for b := 0; b < bs; b++ {
		idx := r.st.Perm[s*bs+b]
		copy(x.Row(b), train.Image(idx))
		labels[b] = train.Labels[idx]
	}
	images.ShiftRandom(x.Data, x.Data, train.Dim(), cfg.Data.Luminosity, r.lum.Rand)
	experiment.SetLR(r.optim, r.baseLR, cfg.Train.LRSchedule, (epoch-1)*steps+s, cfg.Train.Epochs*steps)
	nn.ZeroGradN(r.workers, r.params)
	dale := r.dale
	if dale.Network != nil {
		dale.MeasureAlignment = cfg.Train.AlignEvery > 0 && s%cfg.Train.AlignEvery == 0
	}
	logits := r.net.Forward(x)
	if dale.Network != nil && epoch == 1 && s == 0 {
		r.st.StepZero = dale.StepZero() // reads the forward state only
	}
	l, c := r.loss.Loss(logits, labels)
	finite := !math.IsNaN(l) && !math.IsInf(l, 0)
	r.net.Backward(r.loss.Backward())
	if dale.Network != nil {
		if epoch == cfg.Train.Epochs && s == steps-1 && finite {
			r.sum.LastStepAlignment = dale.Alignment() // from this step's forward state
		}
		r.st.LocalSum += analysis.Float(dale.LocalBackward())
		if cfg.Model.DANNCorrection {
			dale.CorrectGradients()
		}
	}
	r.optim.Step() // also keeps Dale's-law weights >= 0 (nn.Param.NonNegative)
	r.st.LossSum += analysis.Float(l)
	r.st.Correct += c
	if r.st.DivergedStep == 0 && !finite {
		r.st.DivergedStep = (epoch-1)*steps + s + 1
	}
}

// endEpoch evaluates, logs and records the epoch.
func (r *classifierRun) endEpoch(epoch, steps int, secs float64) error {
	cfg, opt := r.cfg, r.opt
	rec := EpochRecord{Epoch: epoch, TrainLoss: r.st.LossSum / analysis.Float(steps),
		TrainAcc: float64(r.st.Correct) / float64(steps*cfg.Train.BatchSize), Seconds: secs}
	if r.dale.Network != nil {
		rec.LocalLoss = r.st.LocalSum / analysis.Float(steps)
		rec.Layers = r.dale.Stats()
	}
	r.shiftTest()
	testLoss, testAcc := evaluate(r.net, r.loss, r.test, r.shiftedTest, cfg.Train.EvalBatch)
	rec.TestLoss, rec.TestAcc = analysis.Float(testLoss), testAcc
	opt.Progress.Finish(fmt.Sprintf("epoch %d/%d: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% | %.1fs",
		epoch, cfg.Train.Epochs, rec.TrainLoss, 100*rec.TrainAcc, rec.TestLoss, 100*rec.TestAcc, secs))
	if err := r.run.AppendMetrics(rec); err != nil {
		return err
	}
	r.sum.FinalTestAcc, r.sum.FinalTestLoss = rec.TestAcc, rec.TestLoss
	r.st.Best = max(r.st.Best, rec.TestAcc)
	r.sum.Final = &rec
	if tl := float64(rec.TrainLoss); math.IsNaN(tl) || math.IsInf(tl, 0) {
		// Diverged: the weights are no longer finite; further epochs
		// would only burn time. The run counts at chance.
		r.st.Diverged = true
		fmt.Fprintf(opt.Log, "%s: training loss is not finite from step %d (epoch %d); stopping (diverged)\n", cfg.Name, r.st.DivergedStep, epoch)
	}
	return nil
}

// writeWeights saves the final parameters as weights.safetensors.
func (r *classifierRun) writeWeights() error {
	ts := experiment.ParamTensors(r.params)
	if r.dale.Network != nil {
		ts = append(ts, r.dale.Fixed()...) // I-Norm's fixed Wei and fa_center weights
	}
	meta := map[string]string{"format": "pt", "config_sha256": configHash(r.cfg), "kind": r.cfg.Model.Kind, "condition": r.cfg.Model.Condition}
	b, err := safetensors.Encode(ts, meta)
	if err != nil {
		return err
	}
	return r.run.WriteFile("weights.safetensors", b)
}

// evaluate returns mean loss and accuracy of net on pixels (test.N images).
func evaluate(net classifier, loss *nn.SoftmaxCrossEntropy, test *images.Set, pixels []float32, batch int) (float64, float64) {
	var lossSum float64
	var correct int
	d := test.Dim()
	for lo := 0; lo < test.N; lo += batch {
		hi := min(lo+batch, test.N)
		x := tensor.FromSlice(hi-lo, d, pixels[lo*d:hi*d])
		l, c := loss.Loss(net.Forward(x), test.Labels[lo:hi])
		lossSum += l * float64(hi-lo)
		correct += c
	}
	return lossSum / float64(test.N), float64(correct) / float64(test.N)
}
