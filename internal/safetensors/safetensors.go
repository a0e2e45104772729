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

	"github.com/circuitry-lab/circuitry/internal/fsutil"
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

// Decode parses a safetensors file of F32 tensors, checking everything
// against the file before using it: the header length, that every
// tensor's offsets lie in the data, match its shape and tile the data
// exactly (no gaps, overlaps or trailing bytes). A damaged file is an
// error, never a panic or a huge allocation. Tensors come in name order.
func Decode(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %d bytes, not a file", len(b))
	}
	hlen := binary.LittleEndian.Uint64(b[:8])
	if hlen > uint64(len(b)-8) || hlen > 100<<20 {
		return nil, nil, fmt.Errorf("safetensors: header of %d bytes in a %d-byte file", hlen, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hlen], &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	data := b[8+hlen:]
	var meta map[string]string
	var ts []Tensor
	type span struct{ lo, hi int }
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors: metadata: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil || e.Dtype != "F32" {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: want an F32 entry", name)
		}
		n := 1
		for _, s := range e.Shape {
			if s < 0 || (s > 0 && n > len(data)/s) {
				return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v larger than the data", name, e.Shape)
			}
			n *= s
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > len(data) || hi-lo != 4*n {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: offsets %v do not hold shape %v in %d data bytes", name, e.Offsets, e.Shape, len(data))
		}
		t := Tensor{Name: name, Shape: e.Shape, Data: make([]float32, n)}
		binary.Read(bytes.NewReader(data[lo:hi]), binary.LittleEndian, t.Data)
		ts, spans = append(ts, t), append(spans, span{lo, hi})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	end := 0
	for _, s := range spans {
		if s.lo != end {
			return nil, nil, fmt.Errorf("safetensors: tensor data overlaps or leaves a gap at byte %d", end)
		}
		end = s.hi
	}
	if end != len(data) {
		return nil, nil, fmt.Errorf("safetensors: %d bytes after the last tensor", len(data)-end)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, meta, nil
}

// ReadFile reads and decodes (see Decode) a safetensors file; a read
// error is returned as is (os.ErrNotExist: no such file), a decoding error
// names the file.
func ReadFile(path string) ([]Tensor, map[string]string, error) {
	b, err := fsutil.ReadRegular(path, fsutil.MaxBinaryBytes)
	if err != nil {
		return nil, nil, err
	}
	ts, meta, err := Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}
