// Package nn holds layers with explicit forward and backward passes, the
// losses the studies train with, parameter groups and optimisers, and a
// finite-difference gradient checker used by the tests of every layer.
//
// Conventions: a batch is a tensor.Mat with one sample per row. Forward
// keeps what Backward needs and returns an output buffer the layer owns
// (valid until the next Forward). Backward takes dL/d(output), accumulates
// parameter gradients into Param.Grad (call ZeroGrad before each step) and
// returns dL/d(input), again in a buffer the layer owns.
package nn
