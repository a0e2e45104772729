package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Event is one record of an event file as Read returns it.
type Event struct {
	Step    int64
	Wall    float64
	Version string             // file_version, on the first event only
	Scalars map[string]float64 // simple values
	Images  map[string]Image
	HParams map[string]any // a session-start summary's hyper-parameters
}

// Read parses an event file: the TFRecord framing with both CRCs checked,
// and each Event's step, wall time, version and summary values (simple
// values and images), as TensorBoard's reader does. Other fields are
// skipped; damage is an error naming the record.
func Read(b []byte) ([]Event, error) {
	var out []Event
	for i := 0; len(b) > 0; i++ {
		if len(b) < 12 {
			return nil, fmt.Errorf("record %d: truncated header", i)
		}
		n := binary.LittleEndian.Uint64(b[:8])
		if binary.LittleEndian.Uint32(b[8:12]) != maskedCRC(b[:8]) {
			return nil, fmt.Errorf("record %d: length CRC mismatch", i)
		}
		if n > uint64(len(b)-16) || len(b) < 16 {
			return nil, fmt.Errorf("record %d: length %d past the end", i, n)
		}
		data := b[12 : 12+n]
		if binary.LittleEndian.Uint32(b[12+n:16+n]) != maskedCRC(data) {
			return nil, fmt.Errorf("record %d: data CRC mismatch", i)
		}
		b = b[16+n:]
		e, err := readEvent(data)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func readEvent(data []byte) (Event, error) {
	e := Event{Scalars: map[string]float64{}, Images: map[string]Image{}}
	fs, err := fields(data)
	if err != nil {
		return e, err
	}
	for _, f := range fs {
		switch f.num {
		case 1:
			e.Wall = math.Float64frombits(f.v)
		case 2:
			e.Step = int64(f.v)
		case 3:
			e.Version = string(f.bytes)
		case 5:
			if err := readSummary(f.bytes, &e); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

func readSummary(b []byte, e *Event) error {
	values, err := fields(b)
	if err != nil {
		return err
	}
	for _, v := range values {
		vf, err := fields(v.bytes)
		if err != nil {
			return err
		}
		var tag string
		for _, f := range vf {
			if f.num == 1 {
				tag = string(f.bytes)
			}
		}
		for _, f := range vf {
			switch f.num {
			case 2:
				e.Scalars[tag] = float64(math.Float32frombits(uint32(f.v)))
			case 4:
				im, err := readImage(f.bytes)
				if err != nil {
					return fmt.Errorf("image %q: %w", tag, err)
				}
				e.Images[tag] = im
			case 9:
				if tag == hparamsTag {
					if e.HParams, err = readHParams(f.bytes); err != nil {
						return fmt.Errorf("hparams: %w", err)
					}
				}
			}
		}
	}
	return nil
}

// sub returns the bytes of the first field num of message b.
func sub(b []byte, num int) ([]byte, error) {
	fs, err := fields(b)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.num == num {
			return f.bytes, nil
		}
	}
	return nil, fmt.Errorf("no field %d", num)
}

// readHParams decodes SummaryMetadata -> plugin_data (checking the plugin
// name) -> HParamsPluginData -> session_start_info -> hparams.
func readHParams(meta []byte) (map[string]any, error) {
	plugin, err := sub(meta, 1)
	if err != nil {
		return nil, err
	}
	if name, err := sub(plugin, 1); err != nil || string(name) != "hparams" {
		return nil, fmt.Errorf("plugin %q, want hparams", name)
	}
	content, err := sub(plugin, 2)
	if err != nil {
		return nil, err
	}
	start, err := sub(content, 3)
	if err != nil {
		return nil, err
	}
	entries, err := fields(start)
	if err != nil {
		return nil, err
	}
	hp := map[string]any{}
	for _, e := range entries {
		k, err := sub(e.bytes, 1)
		if err != nil {
			return nil, err
		}
		v, err := sub(e.bytes, 2)
		if err != nil {
			return nil, err
		}
		vf, err := fields(v)
		if err != nil || len(vf) != 1 {
			return nil, fmt.Errorf("hparam %q: not one value", k)
		}
		switch vf[0].num {
		case 2:
			hp[string(k)] = math.Float64frombits(vf[0].v)
		case 3:
			hp[string(k)] = string(vf[0].bytes)
		case 4:
			hp[string(k)] = vf[0].v != 0
		}
	}
	return hp, nil
}

func readImage(b []byte) (Image, error) {
	var im Image
	fs, err := fields(b)
	for _, f := range fs {
		switch f.num {
		case 1:
			im.Height = int(f.v)
		case 2:
			im.Width = int(f.v)
		case 3:
			im.Colorspace = int(f.v)
		case 4:
			im.PNG = f.bytes
		}
	}
	return im, err
}

// field is one protocol-buffer field: its number and its varint or fixed
// value, or its length-delimited bytes.
type field struct {
	num   int
	v     uint64
	bytes []byte
}

var errTruncated = errors.New("truncated protocol buffer")

// fields splits a message into its fields (wire types 0, 1, 2 and 5).
func fields(b []byte) ([]field, error) {
	var fs []field
	for len(b) > 0 {
		k, m := binary.Uvarint(b)
		if m <= 0 {
			return nil, errTruncated
		}
		b = b[m:]
		f := field{num: int(k >> 3)}
		switch k & 7 {
		case 0:
			v, m := binary.Uvarint(b)
			if m <= 0 {
				return nil, errTruncated
			}
			f.v, b = v, b[m:]
		case 1:
			if len(b) < 8 {
				return nil, errTruncated
			}
			f.v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 5:
			if len(b) < 4 {
				return nil, errTruncated
			}
			f.v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case 2:
			l, m := binary.Uvarint(b)
			if m <= 0 || l > uint64(len(b)-m) {
				return nil, errTruncated
			}
			f.bytes, b = b[m:m+int(l)], b[m+int(l):]
		default:
			return nil, fmt.Errorf("unsupported wire type %d", k&7)
		}
		fs = append(fs, f)
	}
	return fs, nil
}
