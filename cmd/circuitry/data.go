package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/circuitry-lab/circuitry/task/images"
	"github.com/spf13/cobra"
)

func dataCmd(g *globals) *cobra.Command {
	data := &cobra.Command{Use: "data", Short: "Find, fetch and describe datasets"}
	var dir string
	fetch := &cobra.Command{
		Use:   "fetch",
		Short: "Download Fashion-MNIST into the user cache and verify its SHA-256",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				var err error
				if dir, err = images.CacheDir(); err != nil {
					return err
				}
			}
			client := &http.Client{Timeout: 5 * time.Minute}
			logf := func(f string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), f+"\n", a...) }
			if err := images.Fetch(cmd.Context(), client, images.FashionBaseURL, dir, images.FashionFiles, logf); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Fashion-MNIST ready in %s\n", dir)
			return nil
		},
	}
	fetch.Flags().StringVar(&dir, "dir", "", "download directory (default: the user cache)")
	info := &cobra.Command{
		Use:   "info",
		Short: "Say where the data was found, how many images, and their checksums",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return dataInfo(cmd.OutOrStdout(), g.dataDir)
		},
	}
	data.AddCommand(fetch, info)
	return data
}

func dataInfo(w io.Writer, dataDir string) error {
	src, err := images.FindFashionMNIST(dataDir)
	if err != nil {
		return err
	}
	train, test, err := images.LoadFashionMNIST(src)
	if err != nil {
		return err
	}
	files, err := images.DescribeFiles(src)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Fashion-MNIST from %s\n", src)
	fmt.Fprintf(w, "train: %d images %dx%d, %d classes\ntest:  %d images %dx%d\n", train.N, train.Rows, train.Cols, train.Classes, test.N, test.Rows, test.Cols)
	for _, f := range files {
		official := "subset / not the official file"
		if f.Official {
			official = "official content"
		}
		fmt.Fprintf(w, "%s  %d bytes\n  sha256 %s\n  content sha256 %s (%s)\n", f.Path, f.Bytes, f.SHA256, f.ContentSHA256, official)
	}
	if src.Kind == "embedded" {
		fmt.Fprintln(w, images.EmbeddedNotice)
	}
	return nil
}
