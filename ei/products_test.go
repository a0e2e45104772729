package ei

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Rounding the weights as the forward product reads them gives the bits of
// the rounded stack: three float16 training steps of every core (the
// authors' DANN order, its inputs-first option, E-only, I-Norm with its
// backward variants, subtractive), one with the gradient-alignment
// measure, leave every weight, logit and statistic bit-identical. The
// hidden widths take the fused path in both layers (the test checks it
// ran), so a weight the backward pass reads rounded at the wrong time, or
// from the wrong matrix, fails it.
func TestRoundAsReadIsTheRoundedStack(t *testing.T) {
	defer func() { roundAsRead = true }()
	for _, c := range []struct {
		cond        string
		inputsFirst bool
	}{{"ei", false}, {"ei", true}, {"e_ln", false}, {"inorm", false}, {"inorm_full", false}, {"inorm_fa_center", false}, {"inorm_sub", false}} {
		var params [2][]*nn.Param
		var logits [2][]float32
		for i, fused := range []bool{false, true} {
			roundAsRead = fused
			rng := rand.New(rand.NewPCG(31, 32))
			net, err := NewNetwork(Conditions[c.cond], 100, []int{80, 70}, nil, 10, 0.01, rng)
			if err != nil {
				t.Fatal(err)
			}
			net.SetPrecision(tensor.Float16Autocast)
			net.SetDANNInputsFirst(c.inputsFirst)
			x := randInput(rng, 32, 100, true)
			labels := cycleLabels(32)
			loss := &nn.SoftmaxCrossEntropy{Smoothing: 0.1}
			opt := nn.NewSGD(net.Groups(0.05, 0.01, 0.001)...)
			params[i] = net.Params()
			for s := 0; s < 3; s++ {
				nn.ZeroGrad(params[i])
				net.MeasureAlignment = s == 1
				l, _ := loss.Loss(net.Forward(x), labels)
				logits[i] = append(logits[i], float32(l))
				net.Backward(loss.Backward())
				net.LocalBackward()
				opt.Step()
				logits[i] = append(logits[i], net.Forward(x).Data...)
			}
			if fused != tookFusedPath(net) {
				t.Fatalf("%s: fused %v, but the layers' products say otherwise", c.cond, fused)
			}
		}
		for i, v := range logits[0] {
			if math.Float32bits(v) != math.Float32bits(logits[1][i]) {
				t.Fatalf("%s (inputs first %v): output %d: stacked %v, rounded as read %v", c.cond, c.inputsFirst, i, v, logits[1][i])
			}
		}
		for p, want := range params[0] {
			for j, v := range want.Value.Data {
				if got := params[1][p].Value.Data[j]; math.Float32bits(got) != math.Float32bits(v) {
					t.Fatalf("%s (inputs first %v): %s[%d]: stacked %v, rounded as read %v", c.cond, c.inputsFirst, want.Name, j, v, got)
				}
			}
		}
	}
}

// tookFusedPath reports whether every hidden layer's last forward product
// rounded its weights as it read them.
func tookFusedPath(n *Network) bool {
	for _, b := range n.hidden {
		switch {
		case b.dann != nil && !b.dann.in.fused, b.inorm != nil && !b.inorm.in.fused:
			return false
		}
	}
	return true
}
