package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
)

// MeanSD is a metric over seeds (or any replicates): finite values only.
type MeanSD struct {
	Mean Float `json:"mean"`
	SD   Float `json:"sd"`
	N    int   `json:"n"`
}

func (m MeanSD) String() string {
	if m.N == 0 || math.IsNaN(float64(m.Mean)) {
		return "–"
	}
	if m.N == 1 {
		return FormatSig(float64(m.Mean))
	}
	return FormatSig(float64(m.Mean)) + " ± " + FormatSig(float64(m.SD))
}

// FormatSig prints v with about four significant digits.
func FormatSig(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a < 1e-3:
		return fmt.Sprintf("%.2e", v)
	case a < 1:
		return fmt.Sprintf("%.4f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// NewMeanSD summarises x, skipping non-finite values (diverged runs).
func NewMeanSD(x []float64) MeanSD {
	var v []float64
	for _, a := range x {
		if !math.IsNaN(a) && !math.IsInf(a, 0) {
			v = append(v, a)
		}
	}
	if len(v) == 0 {
		return MeanSD{Mean: Float(math.NaN()), SD: Float(math.NaN())}
	}
	m, sd := stat.MeanStdDev(v, nil)
	if len(v) == 1 {
		sd = math.NaN()
	}
	return MeanSD{Mean: Float(m), SD: Float(sd), N: len(v)}
}
