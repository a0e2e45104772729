package experiment

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/internal/tfevents"
)

// TensorBoardTags says how a run kind's metrics.jsonl records become
// TensorBoard scalars, so that one tag means one thing across kinds.
type TensorBoardTags struct {
	// Rename maps a record field to its tag (e.g. a per-epoch "seconds" to
	// "time/epoch_seconds", a cumulative one to "time/elapsed_seconds").
	Rename map[string]string
	// Skip are path.Match patterns of bookkeeping fields left out (counts
	// of batches averaged, not measurements).
	Skip []string
	// Seconds is the field of training seconds; PerRecord says it counts
	// one record's time (wall time is then its running sum), otherwise it
	// is already cumulative.
	Seconds   string
	PerRecord bool
}

var tensorBoardTags sync.Map // kind -> TensorBoardTags

// RegisterTensorBoard sets kind's tag rules; a trainer package registers
// its kind's when it is loaded. Unregistered kinds keep every number under
// its field's name.
func RegisterTensorBoard(kind string, t TensorBoardTags) { tensorBoardTags.Store(kind, t) }

func tagsFor(kind string) TensorBoardTags {
	if v, ok := tensorBoardTags.Load(kind); ok {
		return v.(TensorBoardTags)
	}
	return TensorBoardTags{Seconds: "seconds"}
}

// tensorBoardFile is the run's TensorBoard event file, rewritten from
// metrics.jsonl with every record, so it always matches it (also after a
// resume): `tensorboard --logdir runs` plots every metric, and its HParams
// view compares runs by their config keys.
const tensorBoardFile = "tensorboard/events.out.tfevents.0.circuitry"

// writeTensorBoard rewrites the event file: the run's hyper-parameters
// (its config's keys), then one event per metrics record; with figures (a
// finished run) it adds figures/*.png as images at the last step.
func (r *RunDir) writeTensorBoard(figures bool) error {
	tags := tagsFor(r.rec.Kind)
	pts := []tfevents.Point{{HParams: configHParams(r.spec.Config)}}
	var wall float64
	for i, line := range bytes.Split(bytes.TrimSpace(r.metrics.Bytes()), []byte("\n")) {
		var rec map[string]any
		if len(line) == 0 || json.Unmarshal(line, &rec) != nil {
			continue
		}
		raw := map[string]float64{}
		flattenNumbers(raw, "", rec)
		p := tfevents.Point{Step: int64(i + 1), Scalars: map[string]float64{}}
		for _, k := range []string{"step", "epoch"} {
			if v, ok := raw[k]; ok {
				p.Step = int64(v)
				delete(raw, k)
			}
		}
		if tags.PerRecord {
			wall += raw[tags.Seconds]
		} else {
			wall = raw[tags.Seconds]
		}
		p.Wall = wall
		for k, v := range raw {
			if !skipped(tags.Skip, k) {
				p.Scalars[renamed(tags.Rename, k)] = v
			}
		}
		pts = append(pts, p)
	}
	if figures && len(pts) > 1 {
		if figs := r.figureImages(); len(figs) > 0 {
			last := pts[len(pts)-1]
			pts = append(pts, tfevents.Point{Step: last.Step, Wall: last.Wall, Images: figs})
		}
	}
	if err := os.MkdirAll(filepath.Join(r.Path, "tensorboard"), 0o755); err != nil {
		return err
	}
	return r.WriteFile(tensorBoardFile, tfevents.Encode(pts))
}

func skipped(patterns []string, k string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, k); ok {
			return true
		}
	}
	return false
}

func renamed(rename map[string]string, k string) string {
	if t, ok := rename[k]; ok {
		return t
	}
	return k
}

// configHParams is a run's config.yaml as TensorBoard hyper-parameters:
// the dotted keys of FlattenConfig (lists on one line, as --set takes
// them), numbers as numbers and true/false as booleans, the rest as text.
// An unreadable config gives none.
func configHParams(config []byte) map[string]any {
	flat, err := FlattenConfig(config)
	if err != nil {
		return map[string]any{}
	}
	hp := make(map[string]any, len(flat))
	for k, v := range flat {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			hp[k] = f
		} else if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
			hp[k] = b
		} else {
			hp[k] = v
		}
	}
	return hp
}

// figureImages are the run's figures/*.png (written when it finishes) as
// TensorBoard images tagged figures/NAME; unreadable ones are left out.
func (r *RunDir) figureImages() map[string]tfevents.Image {
	paths, _ := filepath.Glob(filepath.Join(r.Path, "figures", "*.png"))
	imgs := map[string]tfevents.Image{}
	for _, p := range paths {
		b, err := fsutil.ReadRegular(p, fsutil.MaxBinaryBytes)
		if err != nil {
			continue
		}
		if im, err := tfevents.PNGImage(b); err == nil {
			imgs["figures/"+strings.TrimSuffix(filepath.Base(p), ".png")] = im
		}
	}
	return imgs
}

// flattenNumbers collects the numbers of a decoded JSON value under
// slash-separated tags (layers/0/mean).
func flattenNumbers(dst map[string]float64, prefix string, v any) {
	switch x := v.(type) {
	case float64:
		dst[prefix] = x
	case map[string]any:
		for k, e := range x {
			flattenNumbers(dst, path.Join(prefix, k), e)
		}
	case []any:
		for i, e := range x {
			flattenNumbers(dst, path.Join(prefix, strconv.Itoa(i)), e)
		}
	}
}
