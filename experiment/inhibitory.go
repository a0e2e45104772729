package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/circuitry-lab/circuitry/ei"
	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/internal/parallel"
)

// HParams is one of the study's random hyper-parameter configurations.
type HParams struct {
	LR, LRWei, LRWix float64
	H                int
}

// StudyHParams are the 30 configurations of the inhibitory-normalisation
// study (log-uniform lr in [1e-3, 1e-2], lr_wei in [1e-5, 1e-2], lr_wix in
// [1e-2, 1]; H = int(U(100, 500))), the same for every condition and eps.
var StudyHParams = []HParams{
	{0.00469486, 0.000497915, 0.831381, 178}, {0.00578753, 0.000273659, 0.102529, 210},
	{0.00945172, 0.000654232, 0.163958, 282}, {0.00354941, 3.02565e-05, 0.0420801, 252},
	{0.00110468, 0.0071393, 0.0287811, 242}, {0.0088641, 0.00124591, 0.0118124, 263},
	{0.00971297, 0.000123192, 0.0121209, 354}, {0.00496505, 3.353e-05, 0.507033, 228},
	{0.00809097, 0.000154758, 0.310769, 197}, {0.00110448, 0.00054707, 0.377566, 488},
	{0.00940732, 0.00115565, 0.714641, 308}, {0.00525013, 1.84425e-05, 0.0728046, 198},
	{0.00150212, 1.7195e-05, 0.175837, 197}, {0.00980992, 0.00294885, 0.646465, 234},
	{0.0022141, 0.000386656, 0.181476, 284}, {0.00224431, 0.00444671, 0.233991, 375},
	{0.00306802, 0.000925664, 0.0148007, 453}, {0.00231195, 0.00594446, 0.45829, 479},
	{0.00126556, 0.000652394, 0.155054, 436}, {0.00327563, 0.00394751, 0.569815, 440},
	{0.0041793, 0.00144166, 0.0406222, 252}, {0.00258298, 0.00339405, 0.307569, 294},
	{0.00525931, 0.000175845, 0.150085, 473}, {0.0075898, 0.00181428, 0.0314348, 252},
	{0.00411271, 0.00531563, 0.52005, 293}, {0.00231368, 0.00183594, 0.360706, 206},
	{0.00306435, 0.00019926, 0.0577276, 190}, {0.00205351, 1.38328e-05, 0.25188, 348},
	{0.00547999, 0.00582549, 0.0414981, 468}, {0.00225427, 0.00620318, 0.0892954, 332},
}

// InhibitoryStudy is a config for `circuitry run`: every (condition, eps,
// hyper-parameter configuration, replicate) point of the
// inhibitory-normalisation study, then a comparison.
type InhibitoryStudy struct {
	Study          string    `yaml:"study"`           // inhibitory-normalization
	Name           string    `yaml:"name"`            // study directory under out.dir
	Seed           uint64    `yaml:"seed"`            // point seed = seed + 1000*config + replicate (shared by conditions and eps: paired)
	Conditions     []string  `yaml:"conditions"`      // see ei.Conditions
	Eps            []float64 `yaml:"eps"`             // luminosity shift bounds, each in [0, 1]
	HParams        []int     `yaml:"hparams"`         // indices into the study's 30 configurations; empty = all 30
	Replicates     int       `yaml:"replicates"`      // seeds per point; 1 = the authors' protocol
	Epochs         int       `yaml:"epochs"`          // per run
	BatchSize      int       `yaml:"batch_size"`      // 32 in the study
	Lambda         float64   `yaml:"lambda"`          // I-Norm local-loss weight (0.01)
	LabelSmoothing float64   `yaml:"label_smoothing"` // 0.1
	Momentum       float64   `yaml:"momentum"`        // 0 in the study
	WeightDecay    float64   `yaml:"weight_decay"`    // 0 in the study
	AlignEvery     int       `yaml:"align_every"`     // gradient-cosine measurement period in steps
	DANNCorrection bool      `yaml:"dann_correction"` // Cornford et al.'s corrected SGD for DANN layers' Wix and Wei
	TrainLimit     int       `yaml:"train_limit"`     // 0 = all training images
	Workers        int       `yaml:"workers"`         // runs in parallel; 0 = one per core
	DataDir        string    `yaml:"data_dir"`        // empty: discover
	Out            OutConfig `yaml:"out"`

	force bool // retrain points whose run directories hold another config (--force)
}

// WithForce returns the study with --force set: points whose directories
// hold another config, or no record, are retrained (only their own files
// are removed).
func (s InhibitoryStudy) WithForce(force bool) InhibitoryStudy {
	s.force = force
	return s
}

// DefaultInhibitoryStudy is the authors' protocol at full scale.
func DefaultInhibitoryStudy() InhibitoryStudy {
	return InhibitoryStudy{
		Study: "inhibitory-normalization", Name: "inhibitory-normalization", Seed: 0,
		Conditions: []string{"ei", "ei_ln", "e_ln", "inorm", "inorm_full"},
		Eps:        []float64{0, 0.25, 0.5, 0.75}, Replicates: 1, Epochs: 50, BatchSize: 32,
		Lambda: 0.01, LabelSmoothing: 0.1, AlignEvery: 10, DANNCorrection: true, Out: OutConfig{Dir: "runs"},
	}
}

// ParseInhibitoryStudy decodes and validates a study config.
func ParseInhibitoryStudy(data []byte, overrides []string) (InhibitoryStudy, error) {
	s := DefaultInhibitoryStudy()
	if err := decodeStrict(data, overrides, &s); err != nil {
		return s, err
	}
	return s, s.Validate()
}

// Validate checks every field, naming it.
func (s *InhibitoryStudy) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) { errs = append(errs, fmt.Errorf("%s = %v: %s", field, v, want)) }
	if s.Study != "inhibitory-normalization" {
		bad("study", fmt.Sprintf("%q", s.Study), `want "inhibitory-normalization"`)
	}
	if s.Name == "" || filepath.Base(s.Name) != s.Name {
		bad("name", fmt.Sprintf("%q", s.Name), "want a directory name without slashes")
	}
	if len(s.Conditions) == 0 {
		bad("conditions", "[]", "want at least one condition")
	}
	seen := map[string]bool{}
	for i, c := range s.Conditions {
		if _, ok := ei.Conditions[c]; !ok {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), fmt.Sprintf("want one of %v", ei.ConditionNames()))
		}
		if seen[c] {
			bad(fmt.Sprintf("conditions[%d]", i), fmt.Sprintf("%q", c), "listed twice")
		}
		seen[c] = true
	}
	if len(s.Eps) == 0 {
		bad("eps", "[]", "want at least one luminosity bound")
	}
	for i, e := range s.Eps {
		if !(e >= 0 && e <= 1) {
			bad(fmt.Sprintf("eps[%d]", i), e, "want a shift bound in [0, 1]")
		}
		if slices.Index(s.Eps, e) < i {
			bad(fmt.Sprintf("eps[%d]", i), e, "listed twice")
		}
	}
	for i, h := range s.HParams {
		if h < 0 || h >= len(StudyHParams) {
			bad(fmt.Sprintf("hparams[%d]", i), h, fmt.Sprintf("want an index in [0, %d)", len(StudyHParams)))
		}
		if slices.Index(s.HParams, h) < i {
			bad(fmt.Sprintf("hparams[%d]", i), h, "listed twice")
		}
	}
	if s.Replicates < 1 {
		bad("replicates", s.Replicates, "want >= 1")
	}
	if s.Epochs < 1 {
		bad("epochs", s.Epochs, "want >= 1")
	}
	if s.BatchSize < 1 {
		bad("batch_size", s.BatchSize, "want >= 1")
	}
	if !(s.Lambda >= 0) {
		bad("lambda", s.Lambda, "want a local-loss weight >= 0")
	}
	if !(s.LabelSmoothing >= 0 && s.LabelSmoothing < 1) {
		bad("label_smoothing", s.LabelSmoothing, "want [0, 1)")
	}
	if !(s.Momentum >= 0 && s.Momentum < 1) {
		bad("momentum", s.Momentum, "want [0, 1)")
	}
	if !(s.WeightDecay >= 0) {
		bad("weight_decay", s.WeightDecay, "want >= 0")
	}
	if s.AlignEvery < 0 {
		bad("align_every", s.AlignEvery, "want >= 0")
	}
	if s.TrainLimit < 0 {
		bad("train_limit", s.TrainLimit, "want >= 0")
	}
	if s.Workers < 0 {
		bad("workers", s.Workers, "want >= 0 (0 = one per core)")
	}
	if s.Out.Dir == "" {
		bad("out.dir", `""`, "want a directory")
	}
	return errors.Join(errs...)
}

// Point is one run of a study.
type Point struct {
	Condition string  `json:"condition"`
	Eps       float64 `json:"eps"`
	HParam    int     `json:"hparam"`
	Replicate int     `json:"replicate"`
	Config    Config  `json:"-"`
}

// hparamIndices returns the configured indices, or all 30.
func (s *InhibitoryStudy) hparamIndices() []int {
	if len(s.HParams) > 0 {
		return s.HParams
	}
	idx := make([]int, len(StudyHParams))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// Dir is the study's output directory.
func (s *InhibitoryStudy) Dir() string { return filepath.Join(s.Out.Dir, s.Name) }

// Points expands the study into runs, each with a complete, valid Config.
func (s *InhibitoryStudy) Points() ([]Point, error) {
	var pts []Point
	for _, hp := range s.hparamIndices() {
		h := StudyHParams[hp]
		for _, eps := range s.Eps {
			for _, cond := range s.Conditions {
				for r := 0; r < s.Replicates; r++ {
					c := DefaultConfig()
					// The shortest decimal that round-trips: distinct eps, distinct names.
					c.Name = fmt.Sprintf("%s_eps%s_hp%02d_r%d", cond, strconv.FormatFloat(eps, 'g', -1, 64), hp, r)
					c.Seed = s.Seed + uint64(1000*hp+r)
					c.Data = DataConfig{Dataset: "fashion-mnist", Dir: s.DataDir, Luminosity: eps, TrainLimit: s.TrainLimit}
					c.Model = ModelConfig{Kind: "dale", Hidden: []int{h.H, h.H}, Activation: "relu", Condition: cond, Lambda: s.Lambda, DANNCorrection: s.DANNCorrection}
					c.Train = TrainConfig{Epochs: s.Epochs, BatchSize: s.BatchSize, Optimizer: "sgd", LR: h.LR, LRWix: h.LRWix, LRWei: h.LRWei,
						LRSchedule: "constant", Momentum: s.Momentum, WeightDecay: s.WeightDecay, LabelSmoothing: s.LabelSmoothing,
						EvalBatch: 1000, AlignEvery: s.AlignEvery}
					c.Out = OutConfig{Dir: filepath.Join(s.Dir(), "runs")}
					if err := c.Validate(); err != nil {
						return nil, fmt.Errorf("point %s: %w", c.Name, err)
					}
					pts = append(pts, Point{Condition: cond, Eps: eps, HParam: hp, Replicate: r, Config: c})
				}
			}
		}
	}
	return pts, nil
}

// PointResult is a finished point.
type PointResult struct {
	Point
	Summary *Summary  `json:"summary"`
	Curve   []float64 `json:"test_acc_curve"`
}

// RunInhibitoryStudy runs every point not already finished (a finished
// point has summary.json; re-running a study resumes it), in parallel,
// then writes the comparison. log receives one line per finished point.
func RunInhibitoryStudy(ctx context.Context, s InhibitoryStudy, dataDir string, progress Progress, log io.Writer) (*Comparison, error) {
	log = lockedWriter(log)
	pts, err := s.Points()
	if err != nil {
		return nil, err
	}
	if dataDir == "" {
		dataDir = s.DataDir
	}
	train, test, src, err := LoadData(DataConfig{Dataset: "fashion-mnist"}, dataDir, log)
	if err != nil {
		return nil, err
	}
	results := make([]PointResult, len(pts))
	todo, err := s.checkPoints(pts, results)
	if err != nil {
		return nil, err
	}
	lock, err := LockDir(s.Dir())
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := fsutil.WriteFileAtomic(filepath.Join(s.Dir(), "study.yaml"), toYAML(s)); err != nil {
		return nil, err
	}
	workers := s.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(log, "%s: %d points (%d conditions x %d eps x %d configs x %d replicates), %d already finished, %d workers; data: %s\n",
		s.Name, len(pts), len(s.Conditions), len(s.Eps), len(s.hparamIndices()), s.Replicates, len(pts)-len(todo), workers, src)
	defer networkPerCore(workers)()
	progress.Start(s.Name, len(todo))
	errs := make([]error, len(todo))
	var mu sync.Mutex
	parallel.Each(len(todo), workers, func(t int) {
		if ctx.Err() != nil {
			return // interrupted: start nothing new
		}
		i := todo[t]
		p := pts[i]
		start := time.Now()
		sum, err := trainOrResume(ctx, p.Config, RunOptions{Force: s.force, Train: train, Test: test, Source: src, Log: log})
		if err != nil {
			errs[t] = fmt.Errorf("point %s: %w", p.Config.Name, err)
			return
		}
		r, err := loadPointResult(p)
		if err != nil {
			errs[t] = err
			return
		}
		mu.Lock()
		results[i] = r
		progress.Add(1, fmt.Sprintf("%s %.2f%% (%.0fs)", p.Config.Name, 100*sum.FinalTestAcc, time.Since(start).Seconds()))
		mu.Unlock()
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted; finished points are kept, re-run to resume: %w", err)
	}
	progress.Finish(fmt.Sprintf("%s: all %d points finished", s.Name, len(pts)))
	cmp := Compare(s, results)
	return cmp, cmp.Write(s.Dir())
}

// checkPoints applies the integrity policy to every point before any is
// run: finished points' results are loaded into results, the others'
// indices returned. A refusal, or a finished point whose files do not
// load, stops the study with nothing written.
func (s *InhibitoryStudy) checkPoints(pts []Point, results []PointResult) (todo []int, err error) {
	var errs []string
	for i, p := range pts {
		act, err := Inspect(filepath.Join(p.Config.Out.Dir, p.Config.Name), ClassifierSpec(p.Config), classifierCheckpoint, s.force)
		if err == nil && act == Reuse {
			results[i], err = loadPointResult(p)
			if err == nil {
				continue
			}
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		todo = append(todo, i)
	}
	return todo, refusals(errs)
}

// loadPointResult reads a finished point's summary and test-accuracy curve.
func loadPointResult(p Point) (PointResult, error) {
	dir := filepath.Join(p.Config.Out.Dir, p.Config.Name)
	sum, err := LoadSummary(dir)
	if err != nil {
		return PointResult{}, err
	}
	recs, err := readMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return PointResult{}, fmt.Errorf("finished run with damaged metrics: %w — --force retrains it", err)
	}
	r := PointResult{Point: p, Summary: sum}
	for _, rec := range recs {
		r.Curve = append(r.Curve, rec.TestAcc)
	}
	return r, nil
}

func readMetrics(path string) ([]EpochRecord, error) {
	f, err := os.Open(path)
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
