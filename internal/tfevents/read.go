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
			}
		}
	}
	return nil
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
