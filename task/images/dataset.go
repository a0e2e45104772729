package images

import (
	"fmt"
	"path/filepath"
)

// Set is a labelled image set: N images of Rows x Cols pixels scaled to
// [0, 1], flattened row-major into Pixels (N*Rows*Cols values).
type Set struct {
	N, Rows, Cols int
	Pixels        []float32
	Labels        []uint8
	Classes       int
}

// Dim is the number of pixels per image.
func (s *Set) Dim() int { return s.Rows * s.Cols }

// Image returns image i's pixels, sharing storage.
func (s *Set) Image(i int) []float32 { return s.Pixels[i*s.Dim() : (i+1)*s.Dim()] }

// NewSet validates an images IDX (N x rows x cols) against a labels IDX
// (N) with labels below classes, and scales pixels by 1/255. imgName and
// lblName are used in errors.
func NewSet(img, lbl *IDX, imgName, lblName string, classes int) (*Set, error) {
	if len(img.Dims) != 3 {
		return nil, fmt.Errorf("%s: images need 3 dimensions (count, rows, cols), file has %d", imgName, len(img.Dims))
	}
	if len(lbl.Dims) != 1 {
		return nil, fmt.Errorf("%s: labels need 1 dimension, file has %d", lblName, len(lbl.Dims))
	}
	if img.Dims[0] != lbl.Dims[0] {
		return nil, fmt.Errorf("%s has %d images but %s has %d labels", imgName, img.Dims[0], lblName, lbl.Dims[0])
	}
	for i, l := range lbl.Data {
		if int(l) >= classes {
			return nil, fmt.Errorf("%s: label %d at index %d is out of range [0, %d)", lblName, l, i, classes)
		}
	}
	s := &Set{N: img.Dims[0], Rows: img.Dims[1], Cols: img.Dims[2], Labels: lbl.Data, Classes: classes}
	s.Pixels = make([]float32, len(img.Data))
	for i, b := range img.Data {
		s.Pixels[i] = float32(b) / 255
	}
	return s, nil
}

// LoadSet reads and validates an images/labels pair of IDX files.
func LoadSet(imgPath, lblPath string, classes int) (*Set, error) {
	img, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	lbl, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	return NewSet(img, lbl, filepath.Base(imgPath), filepath.Base(lblPath), classes)
}
