package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ckpt")
	s := &State{Kind: "classifier", ConfigHash: "abc", Epoch: 2, Step: 7,
		Params: []Tensor{{"w", []float32{1, 2, 3}}}, Optim: [][]float32{{0.5}}, OptimCounter: 9,
		Streams: map[string][]byte{"init": {1, 2}}, Loop: []byte(`{"x":1}`), Metrics: []byte("{}\n")}
	if err := Save(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil || got.Step != 7 || got.Params[0].Data[2] != 3 || got.OptimCounter != 9 || string(got.Streams["init"]) != "\x01\x02" {
		t.Fatalf("load: %+v %v", got, err)
	}
	s.Step = 8
	if err := Save(p, s); err != nil {
		t.Fatal(err)
	}
	if prev, err := Load(p + ".prev"); err != nil || prev.Step != 7 {
		t.Fatalf("previous checkpoint not kept: %v", err)
	}
	b, _ := os.ReadFile(p)
	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-10],
		"flipped":   append(append([]byte{}, b[:40]...), append([]byte{b[40] ^ 1}, b[41:]...)...),
		"foreign":   []byte("PK\x03\x04 not a checkpoint at all, just some bytes here"),
	} {
		os.WriteFile(p, bad, 0o644)
		if _, err := Load(p); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	p := filepath.Join(f.TempDir(), "ckpt")
	if err := Save(p, &State{Kind: "k", ConfigHash: "h", Epoch: 1, Params: []Tensor{{Name: "w", Data: []float32{1, 2}}}, Streams: map[string][]byte{"s": {1}}}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(magic + "\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		if s == nil {
			t.Fatal("nil state without an error")
		}
	})
}
