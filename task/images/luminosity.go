package images

import "math/rand/v2"

// ShiftRandom writes each image of src (rows of dim pixels) into dst with
// its own additive luminosity shift u ~ Uniform(-eps, +eps), then clips to
// [0, 1] — the inhibitory-normalisation study's variable luminosity. One
// draw from rng per image, in order. dst may alias src.
func ShiftRandom(dst, src []float32, dim int, eps float64, rng *rand.Rand) {
	for off := 0; off < len(src); off += dim {
		u := float32(eps * (2*rng.Float64() - 1))
		shiftClip(dst[off:off+dim], src[off:off+dim], u)
	}
}

// ShiftFixed adds the same shift to every pixel, then clips to [0, 1]:
// evaluation at a controlled luminosity.
func ShiftFixed(dst, src []float32, shift float64) {
	shiftClip(dst, src, float32(shift))
}

func shiftClip(dst, src []float32, u float32) {
	for j, v := range src {
		dst[j] = min(max(v+u, 0), 1)
	}
}
