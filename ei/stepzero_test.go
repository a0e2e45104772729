package ei

import (
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/tensor"
)

// stepZeroNet builds a study-sized network (784-200-200-10) and runs one
// forward pass on a luminosity-like batch: pixels in [0, 1] plus a shared
// shift per image, as the study's first batch would be.
func stepZeroNet(t *testing.T, cond string, p tensor.Precision, inputsFirst bool, spoil func(*Network)) []StepZeroMoments {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 5))
	net, err := NewNetwork(Conditions[cond], 784, []int{200, 200}, nil, 10, 0.01, rng)
	if err != nil {
		t.Fatal(err)
	}
	net.SetPrecision(p)
	net.SetDANNInputsFirst(inputsFirst)
	if spoil != nil {
		spoil(net)
	}
	x := tensor.New(32, 784)
	for n := 0; n < x.Rows; n++ {
		shift := 0.75 * rng.Float64()
		for j, row := 0, x.Row(n); j < len(row); j++ {
			if rng.Float64() < 0.5 { // Fashion-MNIST is half background
				row[j] = float32(rng.Float64() + shift)
			} else {
				row[j] = float32(shift)
			}
		}
	}
	net.Forward(x)
	return net.StepZero()
}

// Every condition's initialisation stays inside the arithmetic bounds, in
// float32 and under fp16 autocast, in both DANN product orders. Under fp16
// the rounding shows (DANN ~1e-5 of the drive, I-Norm ~4e-4, against the
// worst-case bound 3e-3): the trained z really is the fp16 one.
func TestStepZeroWithinBounds(t *testing.T) {
	for _, cond := range []string{"ei", "ei_ln", "e_ln", "inorm", "inorm_full"} {
		for _, p := range []tensor.Precision{tensor.Float32, tensor.Float16Autocast} {
			for _, first := range []bool{false, true} {
				got := stepZeroNet(t, cond, p, first, nil)
				want := 3 // two hidden layers and the output
				if cond == "e_ln" {
					want = 1
				}
				if len(got) != want {
					t.Fatalf("%s: %d layers measured, want %d", cond, len(got), want)
				}
				for _, s := range got {
					if s.ExactMean > s.ExactMeanBound || s.TrainedMean > s.TrainedMeanBound || s.ExactVar > s.ExactVarBound {
						t.Errorf("%s %v inputsFirst=%v %s: %+v outside its bounds", cond, p, first, s.Layer, s)
					}
					if s.Kind == "inorm" && (s.ExactVarBound == 0 || s.TrainedVar > 0.05) {
						t.Errorf("%s %s: variance bound %g, trained |var-1| %g", cond, s.Layer, s.ExactVarBound, s.TrainedVar)
					}
					if p == tensor.Float16Autocast && s.TrainedMean < s.TrainedMeanBound/1e4 {
						t.Errorf("%s %s fp16: trained mean %g implausibly far below the rounding bound %g", cond, s.Layer, s.TrainedMean, s.TrainedMeanBound)
					}
				}
			}
		}
	}
}

// A wrong initialisation leaves the bounds: Wix off the column mean by 1%,
// Wei rows summing to 0.99, Bix scaled by 1% (exact arithmetic alone
// catches errors 1000x smaller: its bound is ~1e-6).
func TestStepZeroCatchesWrongInit(t *testing.T) {
	scale := func(m *tensor.Mat, f float32) {
		for i := range m.Data {
			m.Data[i] *= f
		}
	}
	cases := []struct {
		name, cond string
		spoil      func(*Network)
		outside    func(StepZeroMoments) bool
	}{
		{"Wix 1% high", "ei", func(n *Network) { scale(n.hidden[0].dann.Wix.Value, 1.01) },
			func(s StepZeroMoments) bool {
				return s.ExactMean > s.ExactMeanBound && s.TrainedMean > s.TrainedMeanBound
			}},
		{"Wei rows sum to 0.99", "ei", func(n *Network) { scale(n.hidden[0].dann.Wei.Value, 0.99) },
			func(s StepZeroMoments) bool {
				return s.ExactMean > s.ExactMeanBound && s.TrainedMean > s.TrainedMeanBound
			}},
		{"I-Norm Wix 1% low", "inorm_full", func(n *Network) { scale(n.hidden[0].inorm.Wix.Value, 0.99) },
			func(s StepZeroMoments) bool {
				return s.ExactMean > s.ExactMeanBound && s.TrainedMean > s.TrainedMeanBound
			}},
		{"Bix 1% high", "inorm_full", func(n *Network) { scale(n.hidden[0].inorm.Bix.Value, 1.01) },
			func(s StepZeroMoments) bool { return s.ExactVar > s.ExactVarBound }},
	}
	for _, c := range cases {
		got := stepZeroNet(t, c.cond, tensor.Float16Autocast, false, c.spoil)
		if !c.outside(got[0]) {
			t.Errorf("%s: %+v still inside the bounds", c.name, got[0])
		}
	}
}
