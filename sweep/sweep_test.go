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

// A spec anywhere can start from a preset: a base that names no file
// beside the spec is read from the embedded presets (README's example,
// base: configs/mlp-baseline.yaml, from outside the repository); a file
// wins over a preset of the same name; neither is an error naming both.
func TestSweepBaseFromPreset(t *testing.T) {
	work := t.TempDir()
	spec := filepath.Join(work, "s.yaml")
	os.WriteFile(spec, []byte("sweep: p\nbase: configs/mlp-baseline.yaml\ngrid:\n  train.lr: [0.001, 0.003]\n"), 0o644)
	s, pts, err := Load(spec)
	if err != nil || len(pts) != 2 || s.Base != "configs/mlp-baseline.yaml (embedded preset)" || pts[0].Config.Model.Hidden[0] != 500 {
		t.Fatalf("preset base: %v, %d points, base %q", err, len(pts), s.Base)
	}
	os.MkdirAll(filepath.Join(work, "configs"), 0o755)
	os.WriteFile(filepath.Join(work, "configs", "mlp-baseline.yaml"), []byte("model: {hidden: [16]}\n"), 0o644)
	if _, pts, err := Load(spec); err != nil || pts[0].Config.Model.Hidden[0] != 16 {
		t.Fatalf("a file beside the spec must win: %v", err)
	}
	os.WriteFile(spec, []byte("sweep: p\nbase: configs/nosuch.yaml\ngrid:\n  train.lr: [0.001]\n"), 0o644)
	if _, _, err := Load(spec); err == nil || !strings.Contains(err.Error(), "no such file, and no preset of that name") {
		t.Fatalf("missing base: %v", err)
	}
}
