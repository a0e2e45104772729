// Package study is the registry of the studies circuitry knows: each is a
// package under study/ that builds an experiment.Kind, and one line here.
package study

import (
	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/study/inhibitory"
	"github.com/circuitry-lab/circuitry/study/reactivation"
)

// Builtin returns a registry of the built-in studies.
func Builtin() *experiment.Registry {
	r := &experiment.Registry{}
	for _, k := range []experiment.Kind{
		inhibitory.Kind(),   // Eyono et al.: inhibition-mediated normalisation
		reactivation.Kind(), // Krishna et al.: offline reactivation
	} {
		if err := r.Register(k); err != nil {
			panic(err) // the built-in kinds have distinct names
		}
	}
	return r
}
