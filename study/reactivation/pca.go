package reactivation

import (
	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/rnn"
	"github.com/circuitry-lab/circuitry/task/pathint"
	"github.com/circuitry-lab/circuitry/tensor"
)

// covariance accumulates the sample covariance of hidden states given in
// blocks of rows: the Gram matrix of each block by a float32 product,
// summed in float64 with the column sums.
type covariance struct {
	m     int
	n     float64
	sum   []float64
	outer []float64
	gram  *tensor.Mat
}

func newCovariance(m int) *covariance {
	return &covariance{m: m, sum: make([]float64, m), outer: make([]float64, m*m), gram: tensor.New(m, m)}
}

// add accumulates the rows of h.
func (c *covariance) add(h *tensor.Mat) {
	tensor.MatMulN(1, c.gram, h, true, h, false, 1, 0)
	for i, v := range c.gram.Data {
		c.outer[i] += float64(v)
	}
	for r := 0; r < h.Rows; r++ {
		for j, v := range h.Row(r) {
			c.sum[j] += float64(v)
		}
	}
	c.n += float64(h.Rows)
}

// cumulative is the cumulative explained variance of PCs 1..k.
func (c *covariance) cumulative(k int) []float64 {
	if c.n < 2 {
		return nil
	}
	cov := make([]float64, c.m*c.m)
	for i := 0; i < c.m; i++ {
		for j := 0; j < c.m; j++ {
			cov[i*c.m+j] = (c.outer[i*c.m+j] - c.sum[i]*c.sum[j]/c.n) / (c.n - 1)
		}
	}
	return firstN(analysis.CumulativeVarianceFromCov(cov, c.m), k)
}

// pcaChunk bounds the waking forward pass of the PCA (trajectories at
// once), so 1000 trajectories need no more memory than a training batch.
const pcaChunk = 200

// pcaCurves is the study's Fig. 1c: separate centred PCAs of the hidden
// states of quiescence.pca_batch trajectories awake (every step of a
// seq_len-step trajectory) and asleep (quiescence.pca_steps steps from the
// same encoded starts, with the quiescent noise), as cumulative explained
// variance of PCs 1-20.
func pcaCurves(task pathint.Task, net rnn.Net, q QuiescenceConfig, sd float64, kind string, seed uint64) (wake, quiet []float64) {
	nrec := net.Config().NRec
	b := task.Sample(experiment.Stream(seed, "pca"), q.PCABatch, nil)
	wc, qc := newCovariance(nrec), newCovariance(nrec)
	noise := experiment.Stream(seed, "pca-noise")
	for lo := 0; lo < b.B; lo += pcaChunk {
		hi := min(b.B, lo+pcaChunk)
		x, c0 := chunkInputs(task, b, lo, hi)
		net.Forward(x, c0, noise)
		wc.add(net.Hidden())
	}
	c0 := tensor.FromSlice(b.B, task.NCells(), b.Init)
	rnn.NewQuiescence(net, b.B).Run(c0, q.PCASteps, sd, kind, experiment.Stream(seed, "pca-sleep-noise"), func(_ int, h, _ *tensor.Mat) {
		qc.add(h)
	})
	return wc.cumulative(20), qc.cumulative(20)
}

// chunkInputs copies trajectories lo..hi-1 of b (time-major rows) into
// an input matrix and their encoded initial states.
func chunkInputs(task pathint.Task, b *pathint.Batch, lo, hi int) (x, c0 *tensor.Mat) {
	n, nin, cells := hi-lo, task.NIn(), task.NCells()
	x = tensor.New(b.T*n, nin)
	for t := 0; t < b.T; t++ {
		copy(x.Data[t*n*nin:(t+1)*n*nin], b.X[(t*b.B+lo)*nin:(t*b.B+hi)*nin])
	}
	c0 = tensor.FromSlice(n, cells, append([]float32(nil), b.Init[lo*cells:hi*cells]...))
	return x, c0
}
