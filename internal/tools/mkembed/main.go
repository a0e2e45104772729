// Command mkembed writes the embedded Fashion-MNIST subset from the full
// dataset: the first perClassTrain train and perClassTest test images of
// each class, in their original order, as gzipped IDX files.
//
//	go run ./internal/tools/mkembed -src /usr/share/datasets/fashion-mnist -dst task/images/embedded
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/task/images"
)

func main() {
	src := flag.String("src", images.SystemDir, "directory with the full Fashion-MNIST files")
	dst := flag.String("dst", "task/images/embedded", "output directory")
	perTrain := flag.Int("train", 1000, "train images per class")
	perTest := flag.Int("test", 200, "test images per class")
	flag.Parse()
	for i, per := range []int{*perTrain, *perTest} {
		if err := subset(*src, *dst, images.FashionFiles[2*i].Name, images.FashionFiles[2*i+1].Name, per); err != nil {
			fmt.Fprintln(os.Stderr, "mkembed:", err)
			os.Exit(1)
		}
	}
}

func subset(src, dst, imgName, lblName string, per int) error {
	img, err := images.ReadIDXFile(filepath.Join(src, imgName))
	if err != nil {
		return err
	}
	lbl, err := images.ReadIDXFile(filepath.Join(src, lblName))
	if err != nil {
		return err
	}
	dim := img.Dims[1] * img.Dims[2]
	count := make([]int, 10)
	var pix, labs []byte
	for i, l := range lbl.Data {
		if count[l] < per {
			count[l]++
			pix = append(pix, img.Data[i*dim:(i+1)*dim]...)
			labs = append(labs, l)
		}
	}
	n := len(labs)
	if err := writeGz(filepath.Join(dst, imgName), &images.IDX{Dims: []int{n, img.Dims[1], img.Dims[2]}, Data: pix}); err != nil {
		return err
	}
	return writeGz(filepath.Join(dst, lblName), &images.IDX{Dims: []int{n}, Data: labs})
}

func writeGz(path string, x *images.IDX) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err := images.WriteIDX(zw, x); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, buf.Bytes())
}
