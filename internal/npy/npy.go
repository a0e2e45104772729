// Package npy writes NumPy .npy files (format 1.0, little-endian, C order)
// from flat Go slices with an explicit shape.
//
// codeberg.org/sbinet/npyio reads and writes .npy too, but discovers the
// shape of nested slices by reflection (about 3.7 s for a 20000 x 512
// float32 array here); circuitry's arrays are flat with a known shape, so
// the writer is a header and one bulk copy. npyio is used in the tests as
// an independent reader; files are read back by a small parser of the
// header this writer emits (npyio's reader panics on truncated headers).
package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unsafe"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

// Write writes data (a []float32, []float64, []int64 or []int32) with the
// given shape; the product of shape must equal len(data).
func Write(w io.Writer, data any, shape ...int) error {
	var descr string
	var n int
	switch d := data.(type) {
	case []float32:
		descr, n = "<f4", len(d)
	case []float64:
		descr, n = "<f8", len(d)
	case []int64:
		descr, n = "<i8", len(d)
	case []int32:
		descr, n = "<i4", len(d)
	default:
		return fmt.Errorf("npy: unsupported element type %T", data)
	}
	size := 1
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		size *= s
	}
	if size != n {
		return fmt.Errorf("npy: shape %v holds %d values, data has %d", shape, size, n)
	}
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = fmt.Sprint(s)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// magic (6) + version (2) + header length (2) + dict + padding + '\n' is a multiple of 64.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	var head bytes.Buffer
	head.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&head, binary.LittleEndian, uint16(len(dict)+pad+1))
	head.WriteString(dict)
	head.WriteString(strings.Repeat(" ", pad))
	head.WriteByte('\n')
	if _, err := w.Write(head.Bytes()); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, data)
}

// Bytes returns the .npy encoding of data with shape.
func Bytes(data any, shape ...int) ([]byte, error) {
	var b bytes.Buffer
	err := Write(&b, data, shape...)
	return b.Bytes(), err
}

// ReadFloat64 reads a '<f8' .npy file: its values and shape.
func ReadFloat64(path string) ([]float64, []int, error) { return read[float64](path) }

// ReadFloat32 reads a '<f4' .npy file: its values and shape.
func ReadFloat32(path string) ([]float32, []int, error) { return read[float32](path) }

func read[T float32 | float64](path string) ([]T, []int, error) {
	b, err := fsutil.ReadRegular(path, fsutil.MaxBinaryBytes)
	if err != nil {
		return nil, nil, err
	}
	var zero T
	want := map[int]string{4: "<f4", 8: "<f8"}[int(unsafe.Sizeof(zero))]
	shape, body, err := parseHeader(b, want)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	data := make([]T, len(body)/int(unsafe.Sizeof(zero)))
	if err := binary.Read(bytes.NewReader(body), binary.LittleEndian, data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, shape, nil
}

// parseHeader checks a version 1-3 .npy header for the dtype descr, C
// order and a shape whose size matches the data that follows, and returns
// the shape and the data bytes. Every length is checked against the file
// before it is used, so a truncated or forged file is an error, never a
// panic or a huge allocation.
func parseHeader(b []byte, descr string) ([]int, []byte, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("not a .npy file")
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, nil, fmt.Errorf("truncated .npy header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, nil, fmt.Errorf(".npy version %d.%d not supported", b[6], b[7])
	}
	if hlen > len(b)-off {
		return nil, nil, fmt.Errorf("truncated .npy header (%d bytes announced, %d present)", hlen, len(b)-off)
	}
	head, body := string(b[off:off+hlen]), b[off+hlen:]
	if !strings.Contains(head, "'descr': '"+descr+"'") {
		return nil, nil, fmt.Errorf("want dtype %s, header %s", descr, strings.TrimSpace(head))
	}
	if !strings.Contains(head, "'fortran_order': False") {
		return nil, nil, fmt.Errorf("want C order, header %s", strings.TrimSpace(head))
	}
	lo, hi := strings.Index(head, "'shape': ("), -1
	if lo >= 0 {
		lo += len("'shape': (")
		hi = strings.Index(head[lo:], ")")
	}
	if hi < 0 {
		return nil, nil, fmt.Errorf("no shape in header %s", strings.TrimSpace(head))
	}
	var shape []int
	size := 1
	for _, f := range strings.Split(head[lo:lo+hi], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 || (d > 0 && size > len(body)/d) {
			return nil, nil, fmt.Errorf("bad shape (%s) for %d data bytes", head[lo:lo+hi], len(body))
		}
		shape, size = append(shape, d), size*d
	}
	if elem := int(descr[2] - '0'); size*elem != len(body) {
		return nil, nil, fmt.Errorf("shape %v needs %d data bytes, the file has %d", shape, size*elem, len(body))
	}
	return shape, body, nil
}
