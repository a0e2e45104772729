package experiment

import (
	"hash/fnv"
	"math/rand/v2"
)

// Stream returns the random stream of one component ("init",
// "data-order", "luminosity-train", ...) of a run: a PCG generator keyed by
// the run seed and the component's name, so components never share draws
// and adding a component does not change the others' numbers.
func Stream(seed uint64, component string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(component))
	key := h.Sum64()
	return rand.New(rand.NewPCG(splitmix(seed^key), splitmix(key+0x9e3779b97f4a7c15)))
}

// splitmix is SplitMix64's finaliser: it spreads nearby seeds apart.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
