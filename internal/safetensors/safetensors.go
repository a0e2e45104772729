// Package safetensors writes model weights in the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header mapping each tensor name to its dtype,
// shape and byte offsets, then the raw little-endian data.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Tensor is one float32 tensor.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

type entry struct {
	Dtype   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// Encode returns the safetensors encoding of ts (in name order) with
// optional string metadata.
func Encode(ts []Tensor, metadata map[string]string) ([]byte, error) {
	sorted := append([]Tensor(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	off := 0
	for _, t := range sorted {
		n := 1
		for _, s := range t.Shape {
			n *= s
		}
		if n != len(t.Data) || t.Name == "" || strings.HasPrefix(t.Name, "__") {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v for %d values", t.Name, t.Shape, len(t.Data))
		}
		header[t.Name] = entry{Dtype: "F32", Shape: t.Shape, Offsets: [2]int{off, off + 4*n}}
		off += 4 * n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 { // align the data; the format allows trailing spaces
		h = append(h, ' ')
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(h)))
	out.Write(h)
	for _, t := range sorted {
		binary.Write(&out, binary.LittleEndian, t.Data)
	}
	return out.Bytes(), nil
}
