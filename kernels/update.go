package kernels

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
