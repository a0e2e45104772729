package experiment

import (
	"hash/fnv"
	"math/rand/v2"
)

// Stream returns the random stream of one component ("init",
// "data-order", "luminosity-train", ...) of a run: a PCG generator keyed by
// the run seed and the component's name, so components never share draws
// and adding a component does not change the others' numbers.
func Stream(seed uint64, component string) *rand.Rand { return NewRNG(seed, component).Rand }

// RNG is a named stream whose state can be saved in a checkpoint.
type RNG struct {
	*rand.Rand
	src *rand.PCG
}

// NewRNG returns the stream Stream(seed, component) with access to its state.
func NewRNG(seed uint64, component string) *RNG {
	h := fnv.New64a()
	h.Write([]byte(component))
	key := h.Sum64()
	src := rand.NewPCG(splitmix(seed^key), splitmix(key+0x9e3779b97f4a7c15))
	return &RNG{Rand: rand.New(src), src: src}
}

// State returns the generator's state.
func (r *RNG) State() []byte {
	b, _ := r.src.MarshalBinary() // PCG always marshals
	return b
}

// Restore sets the generator's state from State's output.
func (r *RNG) Restore(b []byte) error { return r.src.UnmarshalBinary(b) }

// splitmix is SplitMix64's finaliser: it spreads nearby seeds apart.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
