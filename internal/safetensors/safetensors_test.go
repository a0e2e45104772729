package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/internal/pyfind"
)

func TestEncode(t *testing.T) {
	b, err := Encode([]Tensor{{"w", []int{2, 2}, []float32{1, 2, 3, 4}}, {"b", []int{2}, []float32{-1, 0.5}}}, map[string]string{"seed": "1"})
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	var e entry
	json.Unmarshal(h["w"], &e)
	data := b[8+n:]
	if e.Dtype != "F32" || e.Offsets != [2]int{8, 24} || len(data) != 24 {
		t.Fatalf("entry %+v, %d data bytes", e, len(data))
	}
	if v := math.Float32frombits(binary.LittleEndian.Uint32(data[8+12:])); v != 4 {
		t.Fatalf("w[1,1] = %v", v)
	}
	if _, err := Encode([]Tensor{{"x", []int{3}, []float32{1}}}, nil); err == nil {
		t.Fatal("bad shape accepted")
	}
}

// Python reads the file with numpy alone (the format is simple enough).
func TestNumpyReadsSafetensors(t *testing.T) {
	py, err := pyfind.Find("numpy")
	if err != nil {
		t.Skip(err)
	}
	b, _ := Encode([]Tensor{{"W_rec", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}}, nil)
	p := filepath.Join(t.TempDir(), "w.safetensors")
	os.WriteFile(p, b, 0o644)
	script := `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8+n])
e = h["W_rec"]; a, z = e["data_offsets"]
w = np.frombuffer(raw[8+n+a:8+n+z], dtype="<f4").reshape(e["shape"])
assert w.shape == (2, 3) and w[1, 2] == 6, w
print("ok")
`
	out, err := exec.Command(py, "-c", script, p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("%v %s", err, out)
	}
}

func TestDecodeRoundTripAndDamage(t *testing.T) {
	ts := []Tensor{{Name: "b", Shape: []int{1, 2}, Data: []float32{3, 4}}, {Name: "a", Shape: []int{2, 2}, Data: []float32{1, 2, 5, 6}}}
	enc, err := Encode(ts, map[string]string{"seed": "1"})
	if err != nil {
		t.Fatal(err)
	}
	got, meta, err := Decode(enc)
	if err != nil || len(got) != 2 || got[0].Name != "a" || got[1].Data[1] != 4 || meta["seed"] != "1" {
		t.Fatalf("%+v %v %v", got, meta, err)
	}
	for i := range enc { // every truncation is an error
		if _, _, err := Decode(enc[:i]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", i)
		}
	}
	if _, _, err := Decode(append(append([]byte(nil), enc...), 0, 0, 0, 0)); err == nil {
		t.Fatal("trailing bytes accepted")
	}
}

func FuzzDecode(f *testing.F) {
	enc, _ := Encode([]Tensor{{Name: "w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}}, map[string]string{"k": "v"})
	f.Add(enc)
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, _, err := Decode(b)
		if err != nil {
			return
		}
		for _, x := range ts {
			n := 1
			for _, s := range x.Shape {
				n *= s
			}
			if n != len(x.Data) {
				t.Fatalf("%s: shape %v, %d values", x.Name, x.Shape, len(x.Data))
			}
		}
	})
}
