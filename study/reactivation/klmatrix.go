package reactivation

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/circuitry-lab/circuitry/analysis"
	"github.com/circuitry-lab/circuitry/experiment"
)

// The KL matrix's control columns.
const (
	colUniform      = "uniform (correct density)"
	colUniformCoded = "uniform (as coded, +ln box)"
	colUntrained    = "untrained (fresh vanilla RNN)"
)

// KLMatrix is the study's Fig. 2e: KL(quiescent source || waking source)
// in nats for every pair, mean over seeds. Each network is compared with
// every network's waking data, not only its own, so the claim — same-bias
// entries small, cross-bias and untrained entries large — can be tested.
type KLMatrix struct {
	Waking    []string           `json:"waking"`    // rows: the conditions' waking distributions
	Quiescent []string           `json:"quiescent"` // columns: the conditions' quiescent distributions, then the controls
	Mean      [][]analysis.Float `json:"mean_nats"` // rows x columns
	Seeds     int                `json:"seeds"`
	// NoiseAdded lists the extra columns of networks trained without noise
	// slept with noise added ("<condition> (noise added)"); their own
	// columns are their sleep without noise, as the authors compute it.
	NoiseAdded []string `json:"noise_added_columns"`
}

// At is the entry for a waking row and a quiescent column (NaN if absent).
func (m *KLMatrix) At(waking, quiescent string) float64 {
	if m == nil {
		return math.NaN()
	}
	i, j := slices.Index(m.Waking, waking), slices.Index(m.Quiescent, quiescent)
	if i < 0 || j < 0 {
		return math.NaN()
	}
	return float64(m.Mean[i][j])
}

// noiseAddedSuffix names a no-noise network's column slept with noise.
const noiseAddedSuffix = " (noise added)"

// klSource is one column's samples and their log density under it.
type klSource struct {
	samples, logQ []float64
}

// klMatrix computes the matrix over the study's seeds from the networks'
// decoded waking and quiescent states.
func klMatrix(s Config, results []*Result) (*KLMatrix, error) {
	m := &KLMatrix{Waking: slices.Clone(s.Conditions), Quiescent: slices.Clone(s.Conditions)}
	periodic := s.Task == "headdir"
	for _, c := range s.Conditions {
		if !conditions[c].noisy {
			m.NoiseAdded = append(m.NoiseAdded, c+noiseAddedSuffix)
		}
	}
	m.Quiescent = append(m.Quiescent, m.NoiseAdded...)
	m.Quiescent = append(m.Quiescent, colUniform)
	if !periodic {
		m.Quiescent = append(m.Quiescent, colUniformCoded)
	}
	m.Quiescent = append(m.Quiescent, colUntrained)
	sum := make([][]float64, len(m.Waking))
	for i := range sum {
		sum[i] = make([]float64, len(m.Quiescent))
	}
	for _, seed := range s.Seeds {
		if err := m.addSeed(s, seed, results, sum); err != nil {
			return nil, err
		}
		m.Seeds++
	}
	m.Mean = make([][]analysis.Float, len(sum))
	for i, row := range sum {
		m.Mean[i] = make([]analysis.Float, len(row))
		for j, v := range row {
			m.Mean[i][j] = analysis.Float(v / float64(m.Seeds))
		}
	}
	return m, nil
}

// addSeed adds one seed's entries to sum.
func (m *KLMatrix) addSeed(s Config, seed uint64, results []*Result, sum [][]float64) error {
	by := map[string]*Result{}
	for _, r := range results {
		if r.Seed == seed {
			by[r.Condition] = r
		}
	}
	task := s.NewTask(false, seed)
	d, periodic, limit, n := task.Dim(), task.Periodic(), s.Sleep.KDEPoints, s.Sleep.KLSamples
	wake := make([]*analysis.KDE, len(m.Waking))
	for i, c := range m.Waking {
		r := by[c]
		if r == nil {
			return fmt.Errorf("KL matrix: no %s network for seed %d", c, seed)
		}
		k, err := fitKDE(r.wake, d, limit, periodic)
		if err != nil {
			return fmt.Errorf("KL matrix: %s seed %d waking density: %w", c, seed, err)
		}
		wake[i] = k
	}
	untrained := by[m.Waking[0]]
	for _, c := range m.Waking { // the control starts from unbiased states where there are some
		if !conditions[c].biased {
			untrained = by[c]
			break
		}
	}
	lp := make([]float64, n)
	for j, col := range m.Quiescent {
		src, err := m.source(s, seed, col, by, untrained, limit)
		if err != nil {
			return err
		}
		for i, p := range wake {
			if r := by[col]; r != nil && m.Waking[i] == col {
				sum[i][j] += float64(r.KL) // the network's own entry: its KL, one value everywhere
				continue
			}
			p.LogPDF(lp, src.samples)
			sum[i][j] += analysis.ClippedKL(src.logQ, lp)
		}
	}
	return nil
}

// source draws a column's Monte-Carlo samples for one seed.
func (m *KLMatrix) source(s Config, seed uint64, col string, by map[string]*Result, untrained *Result, limit int) (klSource, error) {
	task := s.NewTask(false, seed)
	n, rng := s.Sleep.KLSamples, experiment.Stream(seed, "kl-matrix/"+col)
	logQ := make([]float64, n)
	switch col {
	case colUniform, colUniformCoded:
		lu := task.LogUniform()
		if col == colUniformCoded {
			// The authors' code: a 1-D pdf 1/box per coordinate, for a 2-D
			// density of 1/box (not 1/box^2): ln box nats more.
			lo, hi := task.Extent()
			lu += math.Log(hi - lo)
		}
		for i := range logQ {
			logQ[i] = lu
		}
		return klSource{samples: task.Uniform(experiment.Stream(seed, "kl-matrix/uniform"), n), logQ: logQ}, nil
	}
	var states []float64
	switch r, added := by[col], by[strings.TrimSuffix(col, noiseAddedSuffix)]; {
	case col == colUntrained:
		states = untrained.untrainedQuiet
	case slices.Contains(m.NoiseAdded, col) && added != nil:
		states = added.quietAdded
	case r == nil:
		return klSource{}, fmt.Errorf("KL matrix: no %s network for seed %d", col, seed)
	default:
		states = r.quiet
	}
	k, err := fitKDE(states, task.Dim(), limit, task.Periodic())
	if err != nil {
		return klSource{}, fmt.Errorf("KL matrix: %s seed %d quiescent density: %w", col, seed, err)
	}
	src := klSource{samples: k.Resample(n, rng), logQ: logQ}
	k.LogPDF(logQ, src.samples)
	return src, nil
}

// markdown renders the matrix, waking sources as rows.
func (m *KLMatrix) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "KL(quiescent column || waking row), nats, mean over %d seed(s). ", m.Seeds)
	if len(m.NoiseAdded) > 0 {
		fmt.Fprintf(&b, "Networks trained without noise sleep without noise in their own columns, as the authors compute them; the columns %s are the same networks slept with noise added. ", strings.Join(m.NoiseAdded, ", "))
	}
	b.WriteString("The uniform control is given with the correct density and as the authors' code computes it (a 1-D pdf per coordinate: ln box more); each verdict says which it uses.\n\n")
	b.WriteString("| waking \\ quiescent | " + strings.Join(m.Quiescent, " | ") + " |\n|---|" + strings.Repeat("---|", len(m.Quiescent)) + "\n")
	for i, w := range m.Waking {
		cells := make([]string, len(m.Quiescent))
		for j := range cells {
			cells[j] = fmt.Sprintf("%.3f", float64(m.Mean[i][j]))
		}
		fmt.Fprintf(&b, "| %s | %s |\n", w, strings.Join(cells, " | "))
	}
	return b.String()
}
