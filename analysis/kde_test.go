package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func gaussian2(rng *rand.Rand, n int, mx, my, sx, sy float64) []float64 {
	p := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		p[2*i] = mx + sx*rng.NormFloat64()
		p[2*i+1] = my + sy*rng.NormFloat64()
	}
	return p
}

// KL(Q||P) for diagonal Gaussians: 0.5 * sum[ vq/vp + (mp-mq)^2/vp - 1 + ln(vp/vq) ].
func klGauss(mq, vq, mp, vp [2]float64) float64 {
	var s float64
	for i := 0; i < 2; i++ {
		s += vq[i]/vp[i] + (mp[i]-mq[i])*(mp[i]-mq[i])/vp[i] - 1 + math.Log(vp[i]/vq[i])
	}
	return s / 2
}

func TestKLMatchesClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct{ mq, sq, mp, sp [2]float64 }{
		{[2]float64{1, 0.5}, [2]float64{0.7, 1.2}, [2]float64{0, 0}, [2]float64{1, 1}},
		{[2]float64{0.3, 0}, [2]float64{0.5, 0.5}, [2]float64{0, 0}, [2]float64{1, 1}},
	}
	for _, c := range cases {
		q, err := NewKDE(gaussian2(rng, 5000, c.mq[0], c.mq[1], c.sq[0], c.sq[1]), 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := NewKDE(gaussian2(rng, 5000, c.mp[0], c.mp[1], c.sp[0], c.sp[1]), 2, 0)
		got := KL(q, p, q.Resample(KLSamples, rng), nil)
		want := klGauss(c.mq, [2]float64{c.sq[0] * c.sq[0], c.sq[1] * c.sq[1]}, c.mp, [2]float64{c.sp[0] * c.sp[0], c.sp[1] * c.sp[1]})
		if math.Abs(got-want)/want > 0.1 {
			t.Errorf("KL = %.4f, closed form %.4f", got, want)
		}
	}
}

func TestKDEDensityAndGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	k, _ := NewKDE(gaussian2(rng, 4000, 0, 0, 1, 1), 2, 0)
	// At the origin a standard normal (inflated by the bandwidth) has
	// density ~ 1/(2 pi (1 + h^2)), h = 4000^(-1/6).
	h2 := math.Pow(4000, -1.0/3)
	lp := make([]float64, 1)
	k.LogPDF(lp, []float64{0, 0})
	if want := -math.Log(2 * math.Pi * (1 + h2)); math.Abs(lp[0]-want) > 0.05 {
		t.Errorf("log p(0) = %.4f, want %.4f", lp[0], want)
	}
	// The gradient equals finite differences of the log density.
	for _, x := range [][]float64{{1, -0.5}, {-0.3, 0.2}, {2, 1}} {
		g := k.GradLogPDF(x)
		for c := 0; c < 2; c++ {
			const h = 1e-5
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[c] += h
			xm[c] -= h
			v := make([]float64, 2)
			k.LogPDF(v, append(xp, xm...))
			if num := (v[0] - v[1]) / (2 * h); math.Abs(num-g[c]) > 1e-4*(1+math.Abs(num)) {
				t.Errorf("grad at %v [%d] = %.6f, finite difference %.6f", x, c, g[c], num)
			}
		}
	}
	if _, err := NewKDE([]float64{1, 1, 2, 2, 3, 3}, 2, 0); err == nil {
		t.Error("collinear points accepted")
	}
}

func TestPeriodicKDE(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Angles uniform on the circle: density 1/(2 pi) everywhere, edges included.
	a := make([]float64, 5000)
	for i := range a {
		a[i] = rng.Float64()*2*math.Pi - math.Pi
	}
	k, err := NewKDE(a, 1, 2*math.Pi)
	if err != nil {
		t.Fatal(err)
	}
	lp := make([]float64, 3)
	k.LogPDF(lp, []float64{-math.Pi + 0.01, 0, math.Pi - 0.01})
	for _, v := range lp {
		if math.Abs(v+math.Log(2*math.Pi)) > 0.1 {
			t.Errorf("log density %.3f, want %.3f", v, -math.Log(2*math.Pi))
		}
	}
	// A von-Mises-like bump at pi wraps around: just past -pi the density
	// rises toward the wrap point, so its gradient is negative there.
	b := make([]float64, 3000)
	for i := range b {
		v := math.Pi + 0.3*rng.NormFloat64()
		b[i] = math.Mod(v+math.Pi, 2*math.Pi) - math.Pi
	}
	kb, _ := NewKDE(b, 1, 2*math.Pi)
	if g := kb.GradLogPDF([]float64{-math.Pi + 0.2}); g[0] >= 0 {
		t.Errorf("gradient just past -pi = %v, want < 0 (toward the bump at the wrap)", g[0])
	}
	for _, s := range k.Resample(1000, rng) {
		if s < -math.Pi || s >= math.Pi {
			t.Fatalf("resampled angle %v outside [-pi, pi)", s)
		}
	}
}

// The one- and two-dimensional exponent loops give the general loop's
// bits (and LogPDF through them), at points near, far and at the data.
func TestKDEExponentsSpecialisedMatchGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{1, 2, 3} {
		pts := make([]float64, 300*d)
		for i := range pts {
			pts[i] = rng.NormFloat64()
		}
		k, err := NewKDE(pts, d, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, want := make([]float64, k.N), make([]float64, k.N)
		q := make([]float64, d)
		for trial := range 20 {
			for c := range q {
				q[c] = rng.NormFloat64() * float64(1+trial)
			}
			if trial == 0 {
				copy(q, k.white[:d]) // a data point itself: exponent exactly 0
			}
			k.exponents(got, q)
			k.exponentsAnyD(want, q)
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("d=%d trial %d point %d: %v, general loop %v", d, trial, i, got[i], want[i])
				}
			}
		}
	}
}

func BenchmarkKDELogPDF(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{1, 2} {
		pts := make([]float64, 5000*d)
		for i := range pts {
			pts[i] = rng.NormFloat64()
		}
		k, err := NewKDE(pts, d, 0)
		if err != nil {
			b.Fatal(err)
		}
		query, dst := pts[:200*d], make([]float64, 200)
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) {
			for b.Loop() {
				k.LogPDF(dst, query)
			}
		})
	}
}
