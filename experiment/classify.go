package experiment

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/task/images"
	"github.com/circuitry-lab/circuitry/tensor"
)

// RunOptions are the per-invocation settings that are not part of a
// run's identity (so they are not in its config).
type RunOptions struct {
	DataDir  string    // --data: overrides config data.dir
	Force    bool      // overwrite an existing run directory
	Progress Progress  // nil: Quiet
	Log      io.Writer // notices; nil: discarded
	// Train and Test, when set, are used instead of loading data (sweeps
	// share one read-only copy across runs).
	Train, Test *images.Set
	Source      images.Source
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
	Condition     string         `json:"condition,omitempty"`
	Final         *EpochRecord   `json:"final_epoch,omitempty"`
}

// classifier is what the training loop needs from a network.
type classifier interface {
	Forward(x *tensor.Mat) *tensor.Mat
	Backward(dlogits *tensor.Mat)
	Groups(t TrainConfig) []nn.Group
}

// mlpModel adapts an nn.Sequential.
type mlpModel struct{ nn.Sequential }

func (m mlpModel) Backward(d *tensor.Mat) { m.Sequential.Backward(d) }

func (m mlpModel) Groups(t TrainConfig) []nn.Group {
	return []nn.Group{{Name: "all", Params: m.Params(), LR: t.LR}}
}

// daleModel adapts the inhibitory-normalisation study's networks.
type daleModel struct{ *ei.Network }

func (m daleModel) Groups(t TrainConfig) []nn.Group { return m.Network.Groups(t.LR, t.LRWix, t.LRWei) }

func buildModel(m ModelConfig, in, classes int, rng *rand.Rand) (classifier, error) {
	if m.Kind == "mlp" {
		return mlpModel{buildMLP(m, in, classes, rng)}, nil
	}
	var inh []int
	if len(m.Inhibitory) > 0 {
		inh = m.Inhibitory
	}
	net, err := ei.NewNetwork(ei.Conditions[m.Condition], in, m.Hidden, inh, classes, m.Lambda, rng)
	if err != nil {
		return nil, err
	}
	return daleModel{net}, nil
}

// buildMLP makes the network the config describes: Linear [LayerNorm] act
// per hidden layer, then a Linear read-out.
func buildMLP(m ModelConfig, in, classes int, rng *rand.Rand) nn.Sequential {
	var net nn.Sequential
	for i, h := range m.Hidden {
		net = append(net, nn.NewLinear(fmt.Sprintf("fc%d", i+1), in, h, true, rng))
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

func paramsOf(groups []nn.Group) []*nn.Param {
	var ps []*nn.Param
	for _, g := range groups {
		ps = append(ps, g.Params...)
	}
	return ps
}

// setLR applies the learning-rate schedule at step (0-based) of total to
// every group, relative to the group's base rate.
func setLR(o nn.Optimizer, base []float64, t TrainConfig, step, total int) {
	if t.LRSchedule != "cosine" {
		return
	}
	f := 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
	gs := o.ParamGroups()
	for i := range gs {
		gs[i].LR = base[i] * f
	}
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
		fmt.Fprintln(log, images.EmbeddedNotice)
	}
	train, test, err = images.LoadFashionMNIST(src)
	return train, test, src, err
}

// TrainClassifier runs a config end to end and writes its run directory.
func TrainClassifier(ctx context.Context, cfg Config, opt RunOptions) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Progress == nil {
		opt.Progress = Quiet{}
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	train, test, src := opt.Train, opt.Test, opt.Source
	if train == nil {
		var err error
		if train, test, src, err = LoadData(cfg.Data, opt.DataDir, opt.Log); err != nil {
			return nil, err
		}
	}
	if cfg.Data.TrainLimit > 0 && cfg.Data.TrainLimit < train.N {
		train = &images.Set{N: cfg.Data.TrainLimit, Rows: train.Rows, Cols: train.Cols, Classes: train.Classes,
			Pixels: train.Pixels[:cfg.Data.TrainLimit*train.Dim()], Labels: train.Labels[:cfg.Data.TrainLimit]}
	}
	run, err := CreateRunDir(cfg.Out.Dir, cfg.Name, opt.Force)
	if err != nil {
		return nil, err
	}
	if err := run.WriteFile("config.yaml", cfg.YAML()); err != nil {
		return nil, err
	}

	net, err := buildModel(cfg.Model, train.Dim(), train.Classes, Stream(cfg.Seed, "init"))
	if err != nil {
		return nil, err
	}
	groups := net.Groups(cfg.Train)
	params := paramsOf(groups)
	optim := newOptimizer(cfg.Train, groups)
	baseLR := make([]float64, len(groups))
	for i, g := range groups {
		baseLR[i] = g.LR
	}
	dale, _ := net.(daleModel)
	loss := &nn.SoftmaxCrossEntropy{Smoothing: cfg.Train.LabelSmoothing}
	// The test set's luminosity shifts are drawn once, so every epoch is
	// evaluated on the same images.
	shiftedTest := make([]float32, len(test.Pixels))
	images.ShiftRandom(shiftedTest, test.Pixels, test.Dim(), cfg.Data.Luminosity, Stream(cfg.Seed, "luminosity-test"))
	order := Stream(cfg.Seed, "data-order")
	lum := Stream(cfg.Seed, "luminosity-train")

	sum := &Summary{Name: cfg.Name, RunDir: run.Path, Data: src.String(), TrainImages: train.N, TestImages: test.N,
		Luminosity: cfg.Data.Luminosity, Epochs: cfg.Train.Epochs, Kernel: kernels.Backend()}
	if cfg.Model.Kind == "dale" {
		sum.Condition = cfg.Model.Condition
	}
	bs := cfg.Train.BatchSize
	steps := train.N / bs // the last partial batch is dropped, as in PyTorch's drop_last
	if steps == 0 {
		return nil, fmt.Errorf("train.batch_size = %d exceeds the %d training images", bs, train.N)
	}
	x := tensor.New(bs, train.Dim())
	labels := make([]uint8, bs)
	perm := make([]int, train.N)
	begin := time.Now()
	var trainSeconds float64
	for epoch := 1; epoch <= cfg.Train.Epochs; epoch++ {
		start := time.Now()
		for i := range perm {
			perm[i] = i
		}
		order.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		opt.Progress.Start(fmt.Sprintf("epoch %d/%d", epoch, cfg.Train.Epochs), steps)
		if dale.Network != nil {
			dale.ResetStats()
		}
		var lossSum, localSum float64
		var correct int
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("interrupted at epoch %d step %d: %w", epoch, s, err)
			}
			for b := 0; b < bs; b++ {
				idx := perm[s*bs+b]
				copy(x.Row(b), train.Image(idx))
				labels[b] = train.Labels[idx]
			}
			images.ShiftRandom(x.Data, x.Data, train.Dim(), cfg.Data.Luminosity, lum)
			setLR(optim, baseLR, cfg.Train, (epoch-1)*steps+s, cfg.Train.Epochs*steps)
			nn.ZeroGrad(params)
			if dale.Network != nil {
				dale.MeasureAlignment = cfg.Train.AlignEvery > 0 && s%cfg.Train.AlignEvery == 0
			}
			l, c := loss.Loss(net.Forward(x), labels)
			net.Backward(loss.Backward())
			if dale.Network != nil {
				localSum += dale.LocalBackward()
				if cfg.Model.DANNCorrection {
					dale.CorrectGradients()
				}
			}
			optim.Step()
			if dale.Network != nil {
				dale.Project()
			}
			lossSum += l
			correct += c
			if s%50 == 0 {
				opt.Progress.Add(min(50, steps-s), fmt.Sprintf("loss %.3f", lossSum/float64(s+1)))
			}
		}
		secs := time.Since(start).Seconds()
		trainSeconds += secs
		rec := EpochRecord{Epoch: epoch, TrainLoss: analysis.Float(lossSum / float64(steps)), TrainAcc: float64(correct) / float64(steps*bs), Seconds: secs}
		if dale.Network != nil {
			rec.LocalLoss = analysis.Float(localSum / float64(steps))
			rec.Layers = dale.Stats()
		}
		testLoss, testAcc := evaluate(net, loss, test, shiftedTest, cfg.Train.EvalBatch)
		rec.TestLoss, rec.TestAcc = analysis.Float(testLoss), testAcc
		opt.Progress.Finish(fmt.Sprintf("epoch %d/%d: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% | %.1fs",
			epoch, cfg.Train.Epochs, rec.TrainLoss, 100*rec.TrainAcc, rec.TestLoss, 100*rec.TestAcc, secs))
		if err := run.AppendMetrics(rec); err != nil {
			return nil, err
		}
		sum.FinalTestAcc, sum.FinalTestLoss = rec.TestAcc, rec.TestLoss
		sum.BestTestAcc = max(sum.BestTestAcc, rec.TestAcc)
		sum.Final = &rec
		if tl := float64(rec.TrainLoss); math.IsNaN(tl) || math.IsInf(tl, 0) {
			// Diverged: the weights are no longer finite; further epochs
			// would only burn time. The run counts at chance.
			sum.Diverged = true
			fmt.Fprintf(opt.Log, "%s: training loss is not finite at epoch %d; stopping (diverged)\n", cfg.Name, epoch)
			break
		}
	}
	_, sum.CleanTestAcc = evaluate(net, loss, test, test.Pixels, cfg.Train.EvalBatch)
	sum.EpochSeconds = trainSeconds / float64(cfg.Train.Epochs)
	sum.TotalSeconds = time.Since(begin).Seconds()
	return sum, run.WriteJSON("summary.json", sum)
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
