package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/tensor"
)

// GradTarget is one tensor whose gradient is checked: Value is perturbed,
// Grad holds the analytic gradient after the backward callback.
type GradTarget struct {
	Name  string
	Value []float32
	Grad  []float32
}

// GradReport is the outcome for one target: the relative error
// ||analytic - numeric|| / max(||analytic||, ||numeric||) over the checked
// elements, and how many elements were checked.
type GradReport struct {
	Name    string
	RelErr  float64
	Checked int
}

func (r GradReport) String() string {
	return fmt.Sprintf("%s: rel err %.2e over %d elements", r.Name, r.RelErr, r.Checked)
}

// CheckGradients compares analytic gradients with central finite
// differences. backward must zero the gradients, run the forward and
// backward passes and leave dLoss/dValue in each target's Grad; loss must
// run the forward pass only and return the scalar loss (accumulated in
// float64). At most maxPerTarget elements of each target are checked,
// chosen with a fixed seed; h is the perturbation (1e-3 suits float32).
func CheckGradients(loss func() float64, backward func(), targets []GradTarget, h float64, maxPerTarget int) []GradReport {
	backward()
	analytic := make([][]float32, len(targets))
	for i, t := range targets {
		analytic[i] = append([]float32(nil), t.Grad...)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	reports := make([]GradReport, len(targets))
	for ti, t := range targets {
		idx := rng.Perm(len(t.Value))
		if len(idx) > maxPerTarget {
			idx = idx[:maxPerTarget]
		}
		var diff, na, nn float64
		for _, j := range idx {
			orig := t.Value[j]
			t.Value[j] = orig + float32(h)
			lp := loss()
			t.Value[j] = orig - float32(h)
			lm := loss()
			t.Value[j] = orig
			// Divide by the perturbation actually applied after rounding.
			step := float64(orig+float32(h)) - float64(orig-float32(h))
			num := (lp - lm) / step
			a := float64(analytic[ti][j])
			diff += (a - num) * (a - num)
			na += a * a
			nn += num * num
		}
		den := math.Sqrt(max(na, nn))
		rel := 0.0
		if den > 1e-12 {
			rel = math.Sqrt(diff) / den
		}
		reports[ti] = GradReport{Name: t.Name, RelErr: rel, Checked: len(idx)}
	}
	return reports
}

// CheckLayer gradient-checks a layer on input x with the scalar objective
// L = sum(Forward(x) .* R) for a fixed random R, covering the input and
// every parameter. The layer must be deterministic.
func CheckLayer(l Layer, x *tensor.Mat, h float64, maxPerTarget int) []GradReport {
	y := l.Forward(x)
	r := tensor.New(y.Rows, y.Cols)
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range r.Data {
		r.Data[i] = float32(rng.NormFloat64())
	}
	dx := tensor.New(x.Rows, x.Cols)
	loss := func() float64 {
		y := l.Forward(x)
		var s float64
		for i := 0; i < y.Rows; i++ {
			rr := r.Row(i)
			for j, v := range y.Row(i) {
				s += float64(v) * float64(rr[j])
			}
		}
		return s
	}
	backward := func() {
		ZeroGrad(l.Params())
		l.Forward(x)
		dx.Copy(l.Backward(r))
	}
	targets := []GradTarget{{Name: "input", Value: x.Data, Grad: dx.Data}}
	for _, p := range l.Params() {
		targets = append(targets, GradTarget{Name: p.Name, Value: p.Value.Data, Grad: p.Grad.Data})
	}
	return CheckGradients(loss, backward, targets, h, maxPerTarget)
}
