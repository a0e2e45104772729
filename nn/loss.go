package nn

import (
	"fmt"
	"math"

	"github.com/circuitry-lab/circuitry/kernels"
	"github.com/circuitry-lab/circuitry/tensor"
)

// SoftmaxCrossEntropy is the mean over the batch of the cross-entropy
// between softmax(logits) and the label-smoothed target
// q = (1 - Smoothing) onehot(label) + Smoothing / classes.
type SoftmaxCrossEntropy struct {
	Smoothing float64
	prob      *tensor.Mat
	labels    []uint8
	dx        *tensor.Mat
}

// Loss returns the mean loss and the number of correct argmax predictions.
func (l *SoftmaxCrossEntropy) Loss(logits *tensor.Mat, labels []uint8) (loss float64, correct int) {
	if len(labels) != logits.Rows {
		panic(fmt.Sprintf("nn: %d labels for %d rows", len(labels), logits.Rows))
	}
	k := logits.Cols
	p := tensor.Ensure(&l.prob, logits.Rows, k)
	l.labels = labels
	off := l.Smoothing / float64(k)
	for i := 0; i < logits.Rows; i++ {
		z, pr := logits.Row(i), p.Row(i)
		arg, zmax := 0, z[0]
		for j, v := range z {
			if v > zmax {
				arg, zmax = j, v
			}
		}
		if arg == int(labels[i]) {
			correct++
		}
		var se, sz float64
		for j, v := range z {
			e := math.Exp(float64(v - zmax))
			pr[j] = float32(e)
			se += e
			sz += float64(v - zmax)
		}
		lse := math.Log(se)
		// -sum_j q_j log p_j with log p_j = z_j - zmax - lse.
		loss += -(1-l.Smoothing)*(float64(z[labels[i]]-zmax)-lse) - off*(sz-float64(k)*lse)
		for j := range pr {
			pr[j] = float32(float64(pr[j]) / se)
		}
	}
	return loss / float64(logits.Rows), correct
}

// Backward returns dLoss/dlogits = (p - q) / batch for the last Loss call.
func (l *SoftmaxCrossEntropy) Backward() *tensor.Mat {
	n, k := l.prob.Rows, l.prob.Cols
	dx := tensor.Ensure(&l.dx, n, k)
	off := float32(l.Smoothing / float64(k))
	inv := 1 / float32(n)
	for i := 0; i < n; i++ {
		pr, dr := l.prob.Row(i), dx.Row(i)
		for j, v := range pr {
			dr[j] = (v - off) * inv
		}
		dr[l.labels[i]] -= float32(1-l.Smoothing) * inv
	}
	return dx
}

// MSE is the mean over every element of (pred - target)^2. A training
// loop that records its loss only now and then calls Set, Backward and
// Finite every step and Value when it records: the loss is a serial
// float64 sum (its order fixes its bits), 10 M terms a step at study 2's
// scale, while Backward's differences say whether it would be finite.
type MSE struct {
	pred, target *tensor.Mat
	dx           *tensor.Mat
	finite       bool
}

// Loss sets pred and target (Set) and returns their mean squared
// difference (Value).
func (l *MSE) Loss(pred, target *tensor.Mat) float64 {
	l.Set(pred, target)
	return l.Value()
}

// Set takes pred and target for Value and Backward.
func (l *MSE) Set(pred, target *tensor.Mat) {
	if pred.Rows != target.Rows || pred.Cols != target.Cols {
		panic(fmt.Sprintf("nn: MSE of %dx%d against %dx%d", pred.Rows, pred.Cols, target.Rows, target.Cols))
	}
	l.pred, l.target = pred, target
}

// Value returns mean((pred - target)^2) for the last Set, the squares
// summed in float64 row by row.
func (l *MSE) Value() float64 {
	pred, target := l.pred, l.target
	var s float64
	for i := 0; i < pred.Rows; i++ {
		tr := target.Row(i)
		for j, v := range pred.Row(i) {
			d := float64(v - tr[j])
			s += d * d
		}
	}
	return s / float64(pred.Rows*pred.Cols)
}

// Backward returns 2 (pred - target) / (rows*cols).
func (l *MSE) Backward() *tensor.Mat {
	dx := tensor.Ensure(&l.dx, l.pred.Rows, l.pred.Cols)
	scale := float32(2 / float64(l.pred.Rows*l.pred.Cols))
	l.finite = true
	for i := 0; i < l.pred.Rows; i++ {
		if !kernels.SubScale(dx.Row(i), l.pred.Row(i), l.target.Row(i), scale) {
			l.finite = false
		}
	}
	return dx
}

// Finite reports whether every difference of the last Backward was
// finite, which is whether Value is: a float64 sum of squared float32
// differences cannot overflow.
func (l *MSE) Finite() bool { return l.finite }
