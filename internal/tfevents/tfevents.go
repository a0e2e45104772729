// Package tfevents writes TensorBoard event files of scalars and images: TFRecord
// framing (length, masked CRC-32C of it, data, masked CRC-32C of it) around
// hand-encoded Event protocol buffers, so `tensorboard --logdir runs`
// plots circuitry's metrics without any TensorFlow code here.
package tfevents

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/color"
	"image/png"
	"maps"
	"math"
	"slices"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is TFRecord's checksum: CRC-32C rotated and offset.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// record frames one serialized Event.
func record(dst, data []byte) []byte {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	dst = append(dst, n[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, maskedCRC(n[:]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, maskedCRC(data))
}

func varint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func key(b []byte, field, wire int) []byte { return varint(b, uint64(field<<3|wire)) }

func bytesField(b []byte, field int, v []byte) []byte {
	b = key(b, field, 2)
	b = varint(b, uint64(len(v)))
	return append(b, v...)
}

// event encodes Event{wall_time: 1, step: 2, file_version: 3 | summary: 5}.
func event(wall float64, step int64, version string, summary []byte) []byte {
	var b []byte
	b = key(b, 1, 1)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(wall))
	b = key(b, 2, 0)
	b = varint(b, uint64(step))
	if version != "" {
		b = bytesField(b, 3, []byte(version))
	}
	if summary != nil {
		b = bytesField(b, 5, summary)
	}
	return b
}

// summary encodes Summary{value: [Value{tag: 1, simple_value: 2}]}, then
// one Value{tag: 1, image: 4} per image.
func summary(scalars map[string]float64, images map[string]Image) []byte {
	var b []byte
	for _, t := range slices.Sorted(maps.Keys(scalars)) {
		var v []byte
		v = bytesField(v, 1, []byte(t))
		v = key(v, 2, 5)
		v = binary.LittleEndian.AppendUint32(v, math.Float32bits(float32(scalars[t])))
		b = bytesField(b, 1, v)
	}
	for _, t := range slices.Sorted(maps.Keys(images)) {
		var v []byte
		v = bytesField(v, 1, []byte(t))
		v = bytesField(v, 4, images[t].encode())
		b = bytesField(b, 1, v)
	}
	return b
}

// Image is an encoded image (PNG) and its size, as TensorBoard's images
// tab shows it.
type Image struct {
	Width, Height int
	Colorspace    int // 1 grey, 3 RGB, 4 RGBA
	PNG           []byte
}

// encode encodes Summary.Image{height: 1, width: 2, colorspace: 3,
// encoded_image_string: 4}.
func (im Image) encode() []byte {
	var b []byte
	b = key(b, 1, 0)
	b = varint(b, uint64(im.Height))
	b = key(b, 2, 0)
	b = varint(b, uint64(im.Width))
	b = key(b, 3, 0)
	b = varint(b, uint64(im.Colorspace))
	return bytesField(b, 4, im.PNG)
}

// PNGImage reads a PNG's size for an Image; an unreadable PNG is an error.
func PNGImage(data []byte) (Image, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Image{}, err
	}
	cs := 4 // TensorBoard decodes the PNG itself; the field only informs
	if cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model {
		cs = 1
	}
	return Image{Width: cfg.Width, Height: cfg.Height, Colorspace: cs, PNG: data}, nil
}

// Point is one step's scalars and images; HParams, when set, makes it
// the session-start summary of TensorBoard's HParams view (write it
// first).
type Point struct {
	Step    int64
	Wall    float64 // seconds (TensorBoard's wall-time axis)
	Scalars map[string]float64
	Images  map[string]Image
	HParams map[string]any // float64, string or bool values
}

// hparamsTag is the tag under which the HParams plugin looks for a run's
// hyper-parameters.
const hparamsTag = "_hparams_/session_start_info"

// hparams encodes Summary{value: [Value{tag: 1, metadata: 9}]} whose
// SummaryMetadata{plugin_data: 1 {plugin_name: 1 "hparams", content: 2}}
// holds HParamsPluginData{version: 1 = 0, session_start_info: 3
// SessionStartInfo{hparams: 1 map<string, google.protobuf.Value>}}. A
// Value is {number_value: 2 | string_value: 3 | bool_value: 4}. TensorBoard
// gives a value without a tensor the hparams plugin's empty tensor, and
// without an experiment summary it builds the view from these sessions
// (their hparams, and every scalar tag as a metric).
func hparams(hp map[string]any) []byte {
	var start []byte
	for _, k := range slices.Sorted(maps.Keys(hp)) {
		var v []byte
		switch x := hp[k].(type) {
		case float64:
			v = key(v, 2, 1)
			v = binary.LittleEndian.AppendUint64(v, math.Float64bits(x))
		case string:
			v = bytesField(v, 3, []byte(x))
		case bool:
			v = key(v, 4, 0)
			v = varint(v, map[bool]uint64{false: 0, true: 1}[x])
		default:
			continue
		}
		var entry []byte // map entry: key 1, value 2
		entry = bytesField(entry, 1, []byte(k))
		entry = bytesField(entry, 2, v)
		start = bytesField(start, 1, entry)
	}
	content := bytesField(nil, 3, start)
	plugin := bytesField(nil, 1, []byte("hparams"))
	plugin = bytesField(plugin, 2, content)
	meta := bytesField(nil, 1, plugin)
	val := bytesField(nil, 1, []byte(hparamsTag))
	val = bytesField(val, 9, meta)
	return bytesField(nil, 1, val)
}

// Encode returns a whole event file: the version event, then one event
// per point (non-finite scalars left out, as TensorBoard cannot plot them).
func Encode(points []Point) []byte {
	out := record(nil, event(0, 0, "brain.Event:2", nil))
	for _, p := range points {
		finite := map[string]float64{}
		for k, v := range p.Scalars {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				finite[k] = v
			}
		}
		if p.HParams != nil {
			out = record(out, event(p.Wall, p.Step, "", hparams(p.HParams)))
		}
		if len(finite) > 0 || len(p.Images) > 0 {
			out = record(out, event(p.Wall, p.Step, "", summary(finite, p.Images)))
		}
	}
	return out
}
