// Package checkpoint saves and restores training state: a gob-encoded
// payload between a magic header and its SHA-256, written atomically, with
// the previous good checkpoint kept beside it. A truncated or corrupt file
// is refused with an error that names it.
package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"os"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
)

const magic = "CIRCKPT1"

// Tensor is one named parameter.
type Tensor struct {
	Name string
	Data []float32
}

// State is everything a trainer needs to continue bit-identically.
type State struct {
	Kind         string  // which trainer wrote it
	ConfigHash   string  // SHA-256 of the resolved config; resuming refuses another
	Epoch, Step  int     // position: the next step to run
	Elapsed      float64 // training seconds so far (reporting only)
	Params       []Tensor
	Optim        [][]float32 // optimiser buffers, in the optimiser's order
	OptimCounter int         // optimiser step count (Adam's t)
	Streams      map[string][]byte
	Loop         []byte // trainer-specific loop state (JSON)
	Metrics      []byte // metrics.jsonl so far
}

// Save writes s to path atomically and keeps the checkpoint it replaces as
// path+".prev". The order matters for a crash at any instant: the new file
// is complete on disk before anything is renamed, the old one is hard-linked
// (not moved) to .prev, and one rename replaces it — so path always holds a
// whole checkpoint.
func Save(path string, s *State) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(s); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	var out bytes.Buffer
	out.WriteString(magic)
	binary.Write(&out, binary.LittleEndian, uint64(payload.Len()))
	out.Write(payload.Bytes())
	sum := sha256.Sum256(payload.Bytes())
	out.Write(sum[:])
	tmp := path + ".new"
	if err := fsutil.WriteFileAtomic(tmp, out.Bytes()); err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		link := path + ".prev.new"
		os.Remove(link)
		if err := os.Link(path, link); err != nil {
			return fmt.Errorf("checkpoint %s: keeping the previous one: %w", path, err)
		}
		if err := os.Rename(link, path+".prev"); err != nil {
			return err
		}
	}
	return os.Rename(tmp, path)
}

// ErrCorrupt marks a checkpoint that failed validation.
var ErrCorrupt = errors.New("corrupt checkpoint")

// Load reads and verifies a checkpoint.
func Load(path string) (*State, error) {
	b, err := fsutil.ReadRegular(path, fsutil.MaxBinaryBytes)
	if err != nil {
		return nil, err
	}
	s, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Decode verifies and decodes a checkpoint's bytes: the magic, the
// payload length, its SHA-256, then the payload. Any defect is ErrCorrupt.
func Decode(b []byte) (*State, error) {
	if len(b) < len(magic)+8+sha256.Size || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not a circuitry checkpoint or truncated header", ErrCorrupt)
	}
	n := binary.LittleEndian.Uint64(b[len(magic):])
	body := b[len(magic)+8:]
	if n > uint64(len(body)) || uint64(len(body)) != n+sha256.Size {
		return nil, fmt.Errorf("%w: truncated (%d of %d bytes)", ErrCorrupt, len(body), n+sha256.Size)
	}
	payload, sum := body[:n], body[n:]
	if got := sha256.Sum256(payload); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	var s State
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &s, nil
}
