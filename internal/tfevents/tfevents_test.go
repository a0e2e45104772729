package tfevents

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"testing"
)

// decode reads back the framing and the events' fields, checking every
// CRC: what TensorBoard's reader does.
func decode(t *testing.T, b []byte) (steps []int64, tags [][]string, values [][]float32) {
	t.Helper()
	for len(b) > 0 {
		n := binary.LittleEndian.Uint64(b[:8])
		if binary.LittleEndian.Uint32(b[8:12]) != maskedCRC(b[:8]) {
			t.Fatal("length CRC")
		}
		data := b[12 : 12+n]
		if binary.LittleEndian.Uint32(b[12+n:16+n]) != maskedCRC(data) {
			t.Fatal("data CRC")
		}
		b = b[16+n:]
		var step int64
		var ts []string
		var vs []float32
		for len(data) > 0 {
			k, m := binary.Uvarint(data)
			data = data[m:]
			switch k {
			case 1<<3 | 1:
				data = data[8:]
			case 2 << 3: // step, varint
				v, m := binary.Uvarint(data)
				step, data = int64(v), data[m:]
			case 3<<3 | 2, 5<<3 | 2:
				l, m := binary.Uvarint(data)
				body := data[m : m+int(l)]
				data = data[m+int(l):]
				if k == 5<<3|2 {
					for len(body) > 0 { // Summary.value
						_, m := binary.Uvarint(body)
						l, m2 := binary.Uvarint(body[m:])
						v := body[m+m2 : m+m2+int(l)]
						body = body[m+m2+int(l):]
						tl := int(v[1])
						ts = append(ts, string(v[2:2+tl]))
						vs = append(vs, math.Float32frombits(binary.LittleEndian.Uint32(v[3+tl:])))
					}
				}
			default:
				t.Fatalf("unexpected key %d", k)
			}
		}
		steps, tags, values = append(steps, step), append(tags, ts), append(values, vs)
	}
	return
}

func TestEncodeRoundTrip(t *testing.T) {
	b := Encode([]Point{{Step: 1, Wall: 0.5, Scalars: map[string]float64{"loss": 2.5, "acc": 0.25, "bad": math.NaN()}}, {Step: 2, Scalars: map[string]float64{"loss": 1}}})
	steps, tags, values := decode(t, b)
	if len(steps) != 3 || steps[1] != 1 || steps[2] != 2 {
		t.Fatalf("steps %v", steps)
	}
	if len(tags[1]) != 2 || tags[1][0] != "acc" || tags[1][1] != "loss" || values[1][0] != 0.25 || values[1][1] != 2.5 || values[2][0] != 1 {
		t.Fatalf("tags %v values %v", tags, values)
	}
	// The version record TensorBoard expects first.
	if string(b[25:38]) != "brain.Event:2" { // framing 12, wall_time 9, step 2, key and length 2
		t.Fatalf("no version event: %q", b[:40])
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
