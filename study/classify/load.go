package classify

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/internal/safetensors"
	"github.com/circuitry-lab/circuitry/nn"
	"github.com/circuitry-lab/circuitry/tensor"
)

// Model is a trained classifier loaded from its run directory.
type Model struct {
	Config Config
	net    classifier
}

// Forward returns the logits of the images x (rows of pixels in [0, 1]).
func (m *Model) Forward(x *tensor.Mat) *tensor.Mat { return m.net.Forward(x) }

// LoadModel rebuilds a finished run's network from its config.yaml and
// weights.safetensors (fully validated; every parameter, and the Dale
// networks' fixed tensors, must be there with the model's shape).
func LoadModel(runDir string) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(runDir, "config.yaml"), nil)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(runDir, "weights.safetensors")
	ts, _, err := safetensors.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: not a finished run (%w)", runDir, err)
	}
	if err != nil {
		return nil, err
	}
	saved := map[string][]float32{}
	in := 0
	for _, t := range ts {
		saved[t.Name] = t.Data
		if (t.Name == "fc1.weight" || t.Name == "h1.Wex" || t.Name == "h1.weight") && len(t.Shape) == 2 {
			in = t.Shape[1]
		}
	}
	if in == 0 {
		return nil, fmt.Errorf("%s: no first-layer weights", path)
	}
	net, err := buildModel(cfg.Model, in, 10, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for _, p := range nn.ParamsOf(net.Groups(cfg.Train)) {
		v, ok := saved[p.Name]
		if !ok || len(v) != len(p.Value.Data) {
			return nil, fmt.Errorf("%s: parameter %s missing or of another size", path, p.Name)
		}
		copy(p.Value.Data, v)
	}
	if d, ok := net.(daleModel); ok {
		if err := d.LoadFixed(saved); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &Model{Config: cfg, net: net}, nil
}
