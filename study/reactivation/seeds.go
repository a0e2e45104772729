package reactivation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/circuitry-lab/circuitry/experiment"
)

// seedShare is the fraction of seeds a clause must pass in to hold over
// seeds, fixed before any seed but 0 had trained: 4 of the paper's 5.
const seedShare = 0.8

// forSeed is the report of one seed's networks alone (rows, KL matrix),
// or nil when the report has no networks of that seed.
func (rep *Report) forSeed(seed uint64) (*Report, error) {
	if rep == nil || !slices.Contains(rep.Seeds, seed) {
		return nil, nil
	}
	s := rep.study
	s.Seeds = []uint64{seed}
	var rs []*Result
	for _, r := range rep.results {
		if r.Seed == seed {
			rs = append(rs, r)
		}
	}
	one := newReport(s, rs)
	m, err := klMatrix(s, rs)
	if err != nil {
		return nil, err
	}
	one.KL = m
	return one, nil
}

// VerdictsOverSeeds judges every clause on each seed's networks and on
// their means: a clause holds when it passes in at least seedShare of the
// seeds judged (4 of 5), fails when it fails in more than the rest allow
// (2 of 5), and is inconclusive otherwise; the measured column keeps the
// mean over seeds and lists each seed's outcome. One seed: the verdicts.
func VerdictsOverSeeds(sp, hd *Report, x Extras) ([]experiment.Verdict, error) {
	all := Verdicts(sp, hd, x)
	var seeds []uint64
	for _, rep := range []*Report{sp, hd} {
		if rep != nil {
			for _, s := range rep.Seeds {
				if !slices.Contains(seeds, s) {
					seeds = append(seeds, s)
				}
			}
		}
	}
	if len(seeds) < 2 {
		return all, nil
	}
	per := make([][]experiment.Verdict, len(seeds))
	for i, seed := range seeds {
		spS, err := sp.forSeed(seed)
		if err != nil {
			return nil, err
		}
		hdS, err := hd.forSeed(seed)
		if err != nil {
			return nil, err
		}
		if per[i] = Verdicts(spS, hdS, x); len(per[i]) != len(all) {
			return nil, fmt.Errorf("seed %d gives %d verdicts, the mean over seeds %d: a condition is missing for some seed", seed, len(per[i]), len(all))
		}
	}
	out := make([]experiment.Verdict, len(all))
	for j, v := range all {
		outcomes := make([]string, len(seeds))
		var cells []string
		for i, seed := range seeds {
			outcomes[i] = per[i][j].Result
			cells = append(cells, fmt.Sprintf("seed %d %s", seed, per[i][j].Result))
		}
		v.Measured += "; per seed: " + strings.Join(cells, ", ")
		if r, n, need := acrossSeeds(outcomes); n > 0 {
			v.Result = r
			v.Threshold += fmt.Sprintf("; over seeds: holds in >= %d of %d, fails when it fails in more than %d", need, n, n-need)
		}
		out[j] = v
	}
	return out, nil
}

// acrossSeeds combines per-seed outcomes: pass when at least need =
// ceil(seedShare n) of the n judged seeds pass, fail when more than n -
// need fail, inconclusive otherwise (n = 0: nothing judged).
func acrossSeeds(outcomes []string) (result string, n, need int) {
	var pass, fail int
	for _, o := range outcomes {
		switch o {
		case "pass":
			pass++
		case "fail":
			fail++
		case "inconclusive":
		default:
			continue
		}
		n++
	}
	need = int(float64(n)*seedShare + 0.999999)
	switch {
	case n == 0:
		return "", 0, 0
	case pass >= need:
		return "pass", n, need
	case fail > n-need:
		return "fail", n, need
	}
	return "inconclusive", n, need
}
