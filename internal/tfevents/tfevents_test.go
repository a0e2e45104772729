package tfevents

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"testing"
)

func TestEncodeRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 7, 5)))
	im, err := PNGImage(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b := Encode([]Point{{Step: 1, Wall: 0.5, Scalars: map[string]float64{"loss": 2.5, "acc": 0.25, "bad": math.NaN()}},
		{Step: 2, Scalars: map[string]float64{"loss": 1}}, {Step: 2, Images: map[string]Image{"figures/curves": im}}})
	ev, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 4 || ev[0].Version != "brain.Event:2" || ev[1].Step != 1 || ev[1].Wall != 0.5 || ev[2].Step != 2 || ev[3].Step != 2 {
		t.Fatalf("events %+v", ev)
	}
	if len(ev[1].Scalars) != 2 || ev[1].Scalars["acc"] != 0.25 || ev[1].Scalars["loss"] != 2.5 || ev[2].Scalars["loss"] != 1 {
		t.Fatalf("scalars %+v %+v (NaN must be left out)", ev[1], ev[2])
	}
	got := ev[3].Images["figures/curves"]
	if got.Width != 7 || got.Height != 5 || got.Colorspace != 4 || !bytes.Equal(got.PNG, buf.Bytes()) {
		t.Fatalf("image %dx%d cs %d, %d bytes", got.Width, got.Height, got.Colorspace, len(got.PNG))
	}
	if _, err := PNGImage([]byte("not a png")); err == nil {
		t.Fatal("a non-PNG was accepted")
	}
	// Damage anywhere is an error, never a panic.
	for _, n := range []int{1, 11, 20, len(b) - 1} {
		if _, err := Read(b[:n]); err == nil {
			t.Errorf("file cut at %d bytes read without error", n)
		}
	}
	bad := bytes.Clone(b)
	bad[30] ^= 1
	if _, err := Read(bad); err == nil {
		t.Error("a flipped bit read without error")
	}
}

// The masked CRC-32C of TFRecord (a known vector: the empty string).
func TestMaskedCRC(t *testing.T) {
	if got := maskedCRC(nil); got != 0xa282ead8 {
		t.Fatalf("%#x", got)
	}
}

func TestCastagnoliCheckValue(t *testing.T) {
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xe3069283 {
		t.Fatalf("CRC-32C check value %#x", got)
	}
}

// A session-start summary carries every hyper-parameter kind through the
// plugin's nesting, under the plugin's tag, before the first scalars.
func TestHParamsRoundTrip(t *testing.T) {
	hp := map[string]any{"train.lr": 0.001, "model.kind": "dale", "data.shuffle": false, "eps": 0.75}
	b := Encode([]Point{{Step: 0, HParams: hp}, {Step: 1, Wall: 2, Scalars: map[string]float64{"test_acc": 0.8}}})
	evs, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[1].HParams == nil || len(evs[1].Scalars) != 0 || evs[2].Scalars["test_acc"] == 0 {
		t.Fatalf("events: %+v", evs)
	}
	for k, v := range hp {
		if evs[1].HParams[k] != v {
			t.Errorf("hparam %s: %v, want %v", k, evs[1].HParams[k], v)
		}
	}
	if !bytes.Contains(b, []byte(hparamsTag)) || !bytes.Contains(b, []byte("hparams")) {
		t.Error("tag or plugin name missing")
	}
}
