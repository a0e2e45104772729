package sweep

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circuitry-lab/circuitry/experiment"
	"github.com/circuitry-lab/circuitry/internal/runtest"
)

func TestSweepRefusesChangedGrid(t *testing.T) {
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "base.yaml"), []byte("data: {train_limit: 300}\nmodel: {hidden: [16]}\ntrain: {epochs: 1, batch_size: 50}\n"), 0o644)
	write := func(lrs string) string {
		p := filepath.Join(work, "sweep.yaml")
		os.WriteFile(p, []byte("sweep: stale\nbase: base.yaml\ngrid:\n  train.lr: "+lrs+"\nout: {dir: "+work+"}\n"), 0o644)
		return p
	}
	s, pts, err := Load(write("[0.001, 0.003]"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := experiment.RunStudy(context.Background(), New(s, pts, 1), experiment.Env{DataDir: "embedded"}); err != nil {
		t.Fatal(err)
	}
	before := runtest.Snapshot(t, s.Dir())
	s, pts, _ = Load(write("[5, 9]"))
	_, err = experiment.RunStudy(context.Background(), New(s, pts, 1), experiment.Env{DataDir: "embedded"})
	want := filepath.Join(work, "stale", "runs", "p0000") + ": finished with train.lr=0.001, the config now says train.lr=5"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	runtest.SameSnapshot(t, before, runtest.Snapshot(t, s.Dir()))
	if _, _, err := Load(write("[0.001, 0.001]")); err == nil || !strings.Contains(err.Error(), "grid.train.lr lists 0.001 twice") {
		t.Fatalf("duplicate grid value: %v", err)
	}
}

// Sweep specs never panic the loader, and an accepted spec expands to at
// most MaxPoints points, each with its own name.
func FuzzLoad(f *testing.F) {
	f.Add("sweep: s\nbase: base.yaml\ngrid:\n  train.lr: [0.001, 0.003]\nseeds: [1, 2]\n")
	f.Add("sweep: ..\nbase: base.yaml\ngrid: {train.lr: [1]}\n")
	f.Add("sweep: s\nbase: base.yaml\ngrid: {model.hidden: [[16], [32, 32]], seed: [1]}\nslurm: {time: \"1:00\"}\n")
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "base.yaml"), []byte("name: x\nmodel: {hidden: [16]}\ntrain: {epochs: 1}\n"), 0o644)
	f.Fuzz(func(t *testing.T, spec string) {
		p := filepath.Join(dir, "spec.yaml")
		if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		_, pts, err := Load(p)
		if err != nil {
			return
		}
		if len(pts) == 0 || len(pts) > MaxPoints {
			t.Fatalf("%d points", len(pts))
		}
	})
}
