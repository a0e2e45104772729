package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/circuitry-lab/circuitry/report"
	"github.com/circuitry-lab/circuitry/runlist"
	"github.com/spf13/cobra"
)

func serveCmd() *cobra.Command {
	var addr string
	var refresh int
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve a runs directory on localhost: an index of runs and studies that refreshes while they progress",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "runs"
			if len(args) == 1 {
				dir = args[0]
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return fmt.Errorf("serve %s: not a directory", dir)
			}
			if refresh < 1 {
				return fmt.Errorf("--refresh %d: want >= 1 second", refresh)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s on http://%s/ (Ctrl-C to stop)\n", dir, addr)
			list := func(root string) ([]report.RunInfo, error) { return runlist.Scan(root, false) }
			h := report.Handler(dir, refresh, list)
			if !report.IsLoopbackAddr(addr) {
				h = report.NetworkHandler(dir, refresh, list)
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is reachable from other machines; anyone who can reach it can read %s\n", addr, dir)
			}
			srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				srv.Close()
			}()
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "localhost:8080", "address to listen on")
	cmd.Flags().IntVar(&refresh, "refresh", 10, "seconds between index refreshes")
	return cmd
}
