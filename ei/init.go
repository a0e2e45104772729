package ei

import (
	"math"
	"math/rand/v2"

	"github.com/circuitry-lab/circuitry/tensor"
)

// lognormal fills x with iid draws whose mean is s and variance s^2: the
// underlying normal has mu = ln(s/sqrt 2) and sigma = sqrt(ln 2).
func lognormal(x []float32, s float64, rng *rand.Rand) {
	mu, sigma := math.Log(s/math.Sqrt2), math.Sqrt(math.Ln2)
	for i := range x {
		x[i] = float32(math.Exp(mu + sigma*rng.NormFloat64()))
	}
}

// DANNScale is the DANN initialisation scale s = sqrt(2 ne / (d (ne - 1))),
// chosen so E-I layers start with the variance of He initialisation.
func DANNScale(ne, d int) float64 {
	if ne < 2 {
		return math.Sqrt(2 / float64(d))
	}
	return math.Sqrt(2 * float64(ne) / (float64(d) * float64(ne-1)))
}

// initDANN draws Wex lognormal(s), Wei lognormal(s) with rows normalised
// to sum 1, and sets every row of Wix to the column means of Wex, so that
// Wei Wix x equals the mean over E units of Wex x: the layer starts with
// exactly zero across-unit mean (before bias).
func initDANN(wex, wix, wei *tensor.Mat, rng *rand.Rand) {
	ne, d := wex.Rows, wex.Cols
	s := DANNScale(ne, d)
	lognormal(wex.Data, s, rng)
	if wix == nil || wix.Rows == 0 {
		return
	}
	lognormal(wei.Data, s, rng)
	for k := 0; k < wei.Rows; k++ {
		row := wei.Row(k)
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / sum)
		}
	}
	colMean := make([]float64, d)
	for k := 0; k < ne; k++ {
		for j, v := range wex.Row(k) {
			colMean[j] += float64(v)
		}
	}
	for i := 0; i < wix.Rows; i++ {
		row := wix.Row(i)
		for j := range row {
			row[j] = float32(colMean[j] / float64(ne))
		}
	}
}
