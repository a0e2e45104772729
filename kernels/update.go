package kernels

import (
	"math"
	"runtime"
)

// SGDUpdate sets w -= lr*g and, with nonneg, projects w onto w >= 0 (a
// negative result becomes 0; NaN and -0 stay). It is the momentum-free,
// weight-decay-free SGD step of the studies, vectorised where the CPU
// allows and bit-identical to sgdUpdateGo everywhere.
func SGDUpdate(w, g []float32, lr float32, nonneg bool) {
	g = g[:len(w)]
	n := 0
	if useSIMDUpdate && len(w) >= 8 {
		n = len(w) &^ 7
		sgdUpdateAVX2(&w[0], &g[0], n, lr, nonneg)
	}
	sgdUpdateGo(w[n:], g[n:], lr, nonneg)
}

func sgdUpdateGo(w, g []float32, lr float32, nonneg bool) {
	g = g[:len(w)]
	for j, v := range g {
		x := w[j] - lr*v
		if nonneg && x < 0 {
			x = 0
		}
		w[j] = x
	}
}

// AdamStep holds the scalars of one Adam step (PyTorch's torch.optim.Adam
// without amsgrad): the betas and one minus each, the bias-corrected step
// size lr / (1 - beta1^t), 1 / sqrt(1 - beta2^t), eps and the weight
// decay. The field order is the assembly's (adamUpdateAVX2 reads it).
type AdamStep struct {
	B1, OneMinusB1, B2, OneMinusB2    float32
	StepSize, InvC2, Eps, WeightDecay float32
}

// AdamUpdate applies one Adam step to w with gradient g and moments m and
// v (all of len(w)), vectorised where the CPU allows and bit-identical to
// adamUpdateGo everywhere.
func AdamUpdate(w, g, m, v []float32, c *AdamStep) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	n := 0
	if useSIMDUpdate && len(w) >= 8 {
		n = len(w) &^ 7
		adamUpdateAVX2(&w[0], &g[0], &m[0], &v[0], n, c)
	}
	adamUpdateGo(w[n:], g[n:], m[n:], v[n:], c)
}

// splitMin is the smallest element-wise pass the *N functions split
// across workers: below it a helper costs more than the share it takes.
const splitMin = 1 << 16

// splitWorkers is how many goroutines an element-wise pass of n elements
// gets from workers (0: up to GOMAXPROCS): chunks of at least splitMin/2.
func splitWorkers(workers, n int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(min(workers, n/(splitMin/2)), 1)
}

// splitN runs f over [0, n) in contiguous chunks of whole 8-element
// vectors on workers goroutines (from splitWorkers, > 1). Callers take
// the one-worker case themselves, so a serial pass builds no closure and
// allocates nothing.
func splitN(workers, n int, f func(lo, hi int)) {
	runParts(workers, func(i int) {
		lo, hi := i*n/workers&^7, (i+1)*n/workers&^7
		if i == workers-1 {
			hi = n
		}
		f(lo, hi)
	})
}

// AdamUpdateN is AdamUpdate on up to workers goroutines (0 or 1: the
// caller's), each on a contiguous chunk; elements are independent, so the
// bits do not depend on the split.
func AdamUpdateN(workers int, w, g, m, v []float32, c *AdamStep) {
	n := len(w)
	if workers = splitWorkers(max(workers, 1), n); workers == 1 {
		AdamUpdate(w, g, m, v, c)
		return
	}
	g, m, v = g[:n], m[:n], v[:n]
	splitN(workers, n, func(lo, hi int) { AdamUpdate(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], c) })
}

// SGDUpdateN is SGDUpdate on up to workers goroutines (0: up to
// GOMAXPROCS); the bits do not depend on the split.
func SGDUpdateN(workers int, w, g []float32, lr float32, nonneg bool) {
	if workers = splitWorkers(workers, len(w)); workers == 1 {
		SGDUpdate(w, g, lr, nonneg)
		return
	}
	g = g[:len(w)]
	splitN(workers, len(w), func(lo, hi int) { SGDUpdate(w[lo:hi], g[lo:hi], lr, nonneg) })
}

// adamUpdateGo is the definition: every product is rounded to float32
// (the explicit conversions forbid fusing it into an FMA, which Go may do
// on some targets), so the result is the same on every CPU.
func adamUpdateGo(w, g, m, v []float32, c *AdamStep) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for j := range w {
		d := g[j] + float32(c.WeightDecay*w[j])
		m[j] = float32(c.B1*m[j]) + float32(c.OneMinusB1*d)
		v[j] = float32(c.B2*v[j]) + float32(float32(c.OneMinusB2*d)*d)
		den := float32(float32(math.Sqrt(float64(v[j])))*c.InvC2) + c.Eps
		w[j] -= float32(c.StepSize*m[j]) / den
	}
}

// ClearN zeroes dst on up to workers goroutines (0: up to GOMAXPROCS):
// clearing a network's gradients is a pass over as much memory as its
// SGD update, which a step's other core would otherwise watch.
func ClearN(workers int, dst []float32) {
	if workers = splitWorkers(workers, len(dst)); workers == 1 {
		clear(dst)
		return
	}
	splitN(workers, len(dst), func(lo, hi int) { clear(dst[lo:hi]) })
}

// CopyN copies src into dst (of src's length at least) on up to workers
// goroutines (0: up to GOMAXPROCS).
func CopyN(workers int, dst, src []float32) {
	if workers = splitWorkers(workers, len(src)); workers == 1 {
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	splitN(workers, len(src), func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// AddN sets dst += src element by element on up to workers goroutines (0:
// up to GOMAXPROCS), vectorised where the CPU allows. dst + src equals
// dst - (-1)·src exactly (the product is exact, one rounding either way),
// so the SGD kernel computes it; elements are independent, so the bits
// depend on neither the split nor the CPU.
func AddN(workers int, dst, src []float32) {
	SGDUpdateN(workers, dst, src, -1, false)
}
