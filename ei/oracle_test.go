package ei

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"sort"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/pyfind"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// torchPython is a Python with torch (pyfind: $CIRCUITRY_PYTHON, python3
// on PATH, Debian's), or the test is skipped.
func torchPython(t *testing.T) string {
	t.Helper()
	py, err := pyfind.Find("torch")
	if err != nil {
		t.Skip(err)
	}
	return py
}

type oracleParam struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

// oracleCase is one network and batch, as testdata/oracle.py reads it.
type oracleCase struct {
	Condition string                 `json:"condition"`
	Core      string                 `json:"core"`
	Norm      string                 `json:"norm"`
	Variant   string                 `json:"variant"`
	Lambda    float64                `json:"lambda"`
	Params    map[string]oracleParam `json:"params"`
	LR        map[string]float64     `json:"lr"`
	NonNeg    []string               `json:"nonneg"`
	FA        [][]float32            `json:"fa"`
	X         []float32              `json:"x"`
	XShape    []int                  `json:"x_shape"`
	Labels    []int                  `json:"labels"`
}

type oracleStep struct {
	Loss   float64              `json:"loss"`
	Params map[string][]float64 `json:"params"`
}

// oracleRun is circuitry's side of one case: the network, its weights
// before the step, and the task loss of the step.
type oracleRun struct {
	name   string
	net    *Network
	before map[string][]float32
	loss   float64
}

// newOracleRun builds cond's 20-12-12-10 network with its weights moved
// off their initialisation (so I-Norm's z is no longer normalised, where
// the raw-z and standardized variants differ), records the case for the
// oracle and takes circuitry's step.
func newOracleRun(t *testing.T, name string, cond Condition) (*oracleRun, oracleCase) {
	rng := rand.New(rand.NewPCG(21, 4))
	net, err := NewNetwork(cond, 20, []int{12, 12}, nil, 10, 0.01, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range net.Params() {
		for i, v := range p.Value.Data {
			p.Value.Data[i] = v*float32(0.7+0.6*rng.Float64()) + float32(0.05*rng.NormFloat64())
			if p.NonNegative && p.Value.Data[i] < 0 {
				p.Value.Data[i] = 0
			}
		}
	}
	c := oracleCase{Condition: name, Core: cond.Core, Norm: cond.Norm, Variant: cond.Variant.String(), Lambda: 0.01,
		Params: map[string]oracleParam{}, LR: map[string]float64{}, XShape: []int{16, 20}, NonNeg: []string{}}
	groups := net.Groups(0.05, 0.3, 0.02)
	for _, g := range groups {
		for _, p := range g.Params {
			c.LR[p.Name] = g.LR
		}
	}
	r := &oracleRun{name: name, net: net, before: map[string][]float32{}}
	for _, p := range net.Params() {
		c.Params[p.Name] = oracleParam{Shape: []int{p.Value.Rows, p.Value.Cols}, Data: append([]float32(nil), p.Value.Data...)}
		r.before[p.Name] = append([]float32(nil), p.Value.Data...)
		if p.NonNegative {
			c.NonNeg = append(c.NonNeg, p.Name)
		}
		if _, ok := c.LR[p.Name]; !ok {
			c.LR[p.Name] = 0
		}
	}
	for _, b := range net.hidden {
		var fa []float32
		if b.inorm != nil {
			fa = b.inorm.FA
			if w := b.inorm.Wei; c.LR[w.Name] == 0 { // fixed, so not a parameter; the forward needs it
				c.Params[w.Name] = oracleParam{Shape: []int{w.Value.Rows, w.Value.Cols}, Data: w.Value.Data}
				c.LR[w.Name] = 0
			}
		}
		c.FA = append(c.FA, fa)
	}
	x := tensor.New(16, 20)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	labels := make([]uint8, 16)
	for i := range labels {
		labels[i] = uint8(rng.IntN(10))
		c.Labels = append(c.Labels, int(labels[i]))
	}
	c.X = x.Data
	// The step in circuitry, as the study's training loop takes it.
	ce := &nn.SoftmaxCrossEntropy{Smoothing: 0.1}
	nn.ZeroGrad(net.Params())
	r.loss, _ = ce.Loss(net.Forward(x), labels)
	net.Backward(ce.Backward())
	net.LocalBackward()
	nn.NewSGD(groups...).Step()
	return r, c
}

// worstUpdate is the largest difference between circuitry's and the
// oracle's update of any parameter, relative to that parameter's largest
// update entry, and whether some parameter exceeds tol of it beyond what
// float32 storage explains (two ulps of the weight's magnitude: a float32
// weight cannot hold its update more finely).
func (r *oracleRun) worstUpdate(want oracleStep, tol float64) (worst float64, at string, exceeds bool) {
	for _, p := range r.net.Params() {
		var scale, diff, mag float64
		for i, v := range p.Value.Data {
			w0 := float64(r.before[p.Name][i])
			dwo := want.Params[p.Name][i] - w0
			scale = math.Max(scale, math.Abs(dwo))
			diff = math.Max(diff, math.Abs(float64(v)-w0-dwo))
			mag = math.Max(mag, math.Abs(w0))
		}
		if diff > tol*scale+2*mag*0x1p-23 {
			exceeds = true
		}
		if scale > 0 && diff/scale > worst {
			worst, at = diff/scale, p.Name
		}
	}
	return worst, at, exceeds
}

// runPython runs a testdata script with the JSON of in on stdin and
// returns its stdout; a failure stops the test with the script's stderr.
func runPython(t *testing.T, script string, in any) []byte {
	t.Helper()
	b, _ := json.Marshal(in)
	cmd := exec.Command(torchPython(t), "testdata/"+script)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	return out
}

func runOracle(t *testing.T, cases []oracleCase) []oracleStep {
	out := runPython(t, "oracle.py", cases)
	var steps []oracleStep
	if err := json.Unmarshal(out, &steps); err != nil || len(steps) != len(cases) {
		t.Fatalf("oracle output: %v (%d steps for %d cases)", err, len(steps), len(cases))
	}
	return steps
}

// TestOracleOneSGDStep compares one training step of every condition's
// network (20-12-12-10, batch 16, weights off their initialisation) with
// testdata/oracle.py, a PyTorch implementation written from the study's
// description: the task loss, and every parameter's update (plain SGD on
// task + local loss, then clipping Dale's-law weights at 0) to 1e-5 of its
// largest entry. Standardized-z variants, which are not the study's, must
// differ from it.
func TestOracleOneSGDStep(t *testing.T) {
	torchPython(t)
	names := make([]string, 0, len(Conditions))
	for n := range Conditions {
		names = append(names, n)
	}
	sort.Strings(names)
	var runs []*oracleRun
	var cases []oracleCase
	for _, name := range names {
		r, c := newOracleRun(t, name, Conditions[name])
		runs, cases = append(runs, r), append(cases, c)
	}
	// Negative controls: the standardized ẑ option is another rule.
	for _, name := range []string{"inorm_full", "inorm_decorrelate"} {
		cond := Conditions[name]
		cond.StandardizedZ = true
		r, c := newOracleRun(t, name+" (zhat)", cond)
		c.Condition = name // the oracle computes the study's raw-z rule
		runs, cases = append(runs, r), append(cases, c)
	}
	for i, want := range runOracle(t, cases) {
		r := runs[i]
		worst, at, exceeds := r.worstUpdate(want, 1e-5)
		if r.net.Cond.StandardizedZ {
			if _, _, differs := r.worstUpdate(want, 1e-3); !differs {
				t.Errorf("%s: agrees with the raw-z oracle (worst %.2g): the test cannot tell the two rules apart", r.name, worst)
			}
			continue
		}
		if math.Abs(r.loss-want.Loss) > 1e-5*math.Abs(want.Loss) {
			t.Errorf("%s: loss %.8g, oracle %.8g", r.name, r.loss, want.Loss)
		}
		if exceeds {
			t.Errorf("%s %s: update differs by %.2g of its largest entry", r.name, at, worst)
		}
		t.Logf("%-18s loss %.6f (oracle %.6f), worst update difference %.2g of the largest entry (%s)", r.name, r.loss, want.Loss, worst, at)
	}
}
