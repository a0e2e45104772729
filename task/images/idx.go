package images

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX is a decoded IDX file of unsigned bytes (type code 0x08): its
// dimensions and its values in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// maxIDXBytes bounds the payload a header may announce (64 MiB: 85,000
// images of 28x28, more than Fashion-MNIST's or MNIST's 60,000), so a
// corrupt header or a decompression bomb is an error after at most that
// much memory, not an out-of-memory crash.
const maxIDXBytes = 64 << 20

// ReadIDXFile reads an IDX file, gzipped or not; errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// ReadIDX decodes an IDX stream. A gzip stream (magic 1f 8b) is
// decompressed transparently. The header must announce unsigned bytes and
// 1 to 4 positive dimensions, and the payload must hold exactly their
// product: a short payload is reported as truncated, a long one as trailing
// data.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	gzipped := false
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		gzipped = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip stream: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("truncated IDX header: %w", eofAsUnexpected(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("wrong magic number %#08x: not an IDX file", binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("IDX element type %#02x unsupported: want 0x08 (unsigned byte)", magic[2])
	}
	nd := int(magic[3])
	if nd < 1 || nd > 4 {
		return nil, fmt.Errorf("IDX has %d dimensions: want 1 to 4", nd)
	}
	dims := make([]int, nd)
	size := 1
	for i := range dims {
		var d [4]byte
		if _, err := io.ReadFull(br, d[:]); err != nil {
			return nil, fmt.Errorf("truncated IDX header: %w", eofAsUnexpected(err))
		}
		v := binary.BigEndian.Uint32(d[:])
		if v == 0 || v > maxIDXBytes {
			return nil, fmt.Errorf("IDX dimension %d is %d: want 1 to %d", i, v, int64(maxIDXBytes))
		}
		dims[i] = int(v)
		size *= dims[i]
		if size > maxIDXBytes {
			return nil, fmt.Errorf("IDX dimensions %v describe more than %d bytes (the limit on an IDX payload)", dims[:i+1], int64(maxIDXBytes))
		}
	}
	// The header is bounded by maxIDXBytes, so one exact allocation costs
	// at most that (growing a buffer would cost up to twice the payload).
	data := make([]byte, size)
	n, err := io.ReadFull(br, data)
	if errors.Is(err, io.ErrUnexpectedEOF) && n > 0 && !gzipped {
		err = io.EOF // a short plain file
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("truncated: header %v promises %d bytes, file has %d", dims, size, n)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) { // a cut gzip stream
			return nil, fmt.Errorf("truncated: compressed stream ends after %d of %d payload bytes", n, size)
		}
		return nil, fmt.Errorf("reading IDX payload: %w", err)
	}
	// Reading on to the end also makes a gzip stream verify its CRC-32 and
	// length trailer: a flipped bit is an error, not silently wrong pixels.
	extra, err := br.Peek(1)
	if len(extra) > 0 {
		return nil, fmt.Errorf("trailing data after the %d bytes that header %v describes", size, dims)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("corrupt stream (%v): the file is damaged", err)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

func eofAsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WriteIDX encodes x as an IDX stream of unsigned bytes.
func WriteIDX(w io.Writer, x *IDX) error {
	head := []byte{0, 0, 0x08, byte(len(x.Dims))}
	for _, d := range x.Dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}
