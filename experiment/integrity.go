package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"github.com/circuitry-lab/circuitry/kernels"

	"go.yaml.in/yaml/v3"
)

// The integrity policy. Every run directory — a single run, a study point,
// a sweep point — holds run.json: the run's kind, the SHA-256 of its
// resolved config in canonical form (config.yaml without the keys that
// only say where it is written), its analysis version, whether it
// finished, and the top-level entries it created. A run is reused or
// resumed only when that fingerprint matches the config asked for now;
// otherwise the command stops with one line naming the run and the keys
// that differ. --force retrains, removing only the entries the run
// created. A finished run whose artefacts do not load is an error naming
// the file, never a reason to retrain.

// recordName is the integrity record of a run directory.
const recordName = "run.json"

// RunSpec identifies a run: what trains it and with which config.
type RunSpec struct {
	Kind    string   // the trainer: "classifier", "reactivation", ...
	Config  []byte   // the resolved config as YAML, written as config.yaml
	Neutral []string // dotted keys that do not change the results (name, out.dir, ...)
	// Analysis are the dotted key prefixes (e.g. "quiescence.") that only
	// the analyses of a trained model read. They have their own
	// fingerprint: a finished run whose analysis keys changed is
	// re-analysed with its saved weights, not retrained or refused, since
	// what it trained is provably the same.
	Analysis        []string
	AnalysisVersion int // the meaning of the run's analyses; a change re-analyses, not retrains
	// Version is the trainer's version for this kind of point, raised when
	// the same config now trains something else (an architecture made the
	// study's): runs of an older version are another config (the pseudo-key
	// trainer.version). 0, the first, adds nothing to the fingerprint.
	Version int
}

// versionKey is the pseudo-key under which a trainer version enters the
// fingerprint and the refusal's list of differing keys.
const versionKey = "trainer.version"

// flat is the spec's config flattened, with its trainer version.
func (s RunSpec) flat() (map[string]string, error) {
	flat, err := flattenYAML(s.Config)
	if err == nil && s.Version > 0 {
		flat[versionKey] = strconv.Itoa(s.Version)
	}
	return flat, err
}

// Fingerprint is the SHA-256 of the canonical form of the spec's
// training config: every key but the neutral and the analysis ones.
func (s RunSpec) Fingerprint() (string, error) {
	flat, err := s.flat()
	if err != nil {
		return "", err
	}
	return canonicalHash(flat, s.ignored()), nil
}

// AnalysisFingerprint is the SHA-256 of the canonical form of the
// analysis keys alone; empty when the spec has none.
func (s RunSpec) AnalysisFingerprint() (string, error) {
	if len(s.Analysis) == 0 {
		return "", nil
	}
	flat, err := s.flat()
	if err != nil {
		return "", err
	}
	only := map[string]string{}
	for k, v := range flat {
		if s.isAnalysis(k) {
			only[k] = v
		}
	}
	return canonicalHash(only, nil), nil
}

// legacyFingerprint is the hash a run record of circuitry before the
// analysis split holds: every key but the neutral ones.
func (s RunSpec) legacyFingerprint() (string, error) {
	flat, err := s.flat()
	if err != nil {
		return "", err
	}
	return canonicalHash(flat, s.neutral()), nil
}

func (s RunSpec) neutral() func(string) bool {
	return func(k string) bool { return slices.Contains(s.Neutral, k) }
}

func (s RunSpec) isAnalysis(key string) bool {
	for _, p := range s.Analysis {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// ignored is the predicate of the keys the training fingerprint leaves out.
func (s RunSpec) ignored() func(string) bool {
	return func(k string) bool { return slices.Contains(s.Neutral, k) || s.isAnalysis(k) }
}

// Record is run.json.
type Record struct {
	Kind            string `json:"kind"`
	ConfigSHA256    string `json:"config_sha256"`             // the training config (RunSpec.Fingerprint)
	AnalysisSHA256  string `json:"analysis_sha256,omitempty"` // the analysis keys the results were computed with
	AnalysisVersion int    `json:"analysis_version"`
	TrainerVersion  int    `json:"trainer_version,omitempty"`
	// DataIdentity names the content of the data the run trained on
	// (images.Identity); empty in records written before it was recorded.
	DataIdentity string `json:"data_identity,omitempty"`
	// Arithmetic is kernels.Arithmetic() of the binary that started the
	// run (architecture, instruction-set level, kernel family); empty in
	// records written before it was recorded.
	Arithmetic string   `json:"arithmetic,omitempty"`
	Finished   bool     `json:"finished"`
	Owned      []string `json:"owned"` // top-level entries the run created; --force removes only these
}

// Action is what the policy decided for a run directory.
type Action int

const (
	Train     Action = iota // nothing there (or --force): train from the start
	Resume                  // same config, interrupted, with a checkpoint: continue it
	Reuse                   // same config, finished: load its results
	Reanalyse               // same training config, finished with an older analysis version or other analysis keys
	Restart                 // same config, interrupted before its first checkpoint
)

func (a Action) String() string {
	return [...]string{"train", "resume", "reuse", "re-analyse", "restart"}[a]
}

// legacyOwned are the entries circuitry writes, removed by --force in a
// directory without run.json (made by an earlier version).
var legacyOwned = []string{"config.yaml", "metrics.jsonl", "summary.json", "weights.safetensors", "report.html",
	"checkpoints", "arrays", "figures", "analyses", "tensorboard", recordName}

// Inspect decides, reading only, what to do with dir for spec. checkpoint
// is the run's checkpoint path relative to dir. A refusal is an error of
// one line that names dir and what differs.
func Inspect(dir string, spec RunSpec, checkpoint string, force bool) (Action, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && onlyLock(entries)) {
		return Train, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", dir, err)
	}
	if force {
		return Train, nil
	}
	rec, err := ReadRecord(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("%s: not a run of this circuitry (no %s; made by an earlier version, or not a run) — use --force to retrain it there (only circuitry's files are removed) or another out dir", dir, recordName)
	}
	if err != nil {
		return 0, err
	}
	want, err := spec.Fingerprint()
	if err != nil {
		return 0, err
	}
	if rec.Kind != spec.Kind {
		return 0, fmt.Errorf("%s: holds a %s run, not a %s run — use --force to retrain or another out dir", dir, rec.Kind, spec.Kind)
	}
	analysis, err := spec.AnalysisFingerprint()
	if err != nil {
		return 0, err
	}
	if rec.ConfigSHA256 != want {
		legacy, err := spec.legacyFingerprint()
		if err != nil || rec.AnalysisSHA256 != "" || rec.ConfigSHA256 != legacy {
			return 0, mismatch(dir, rec, spec)
		}
		// A record from before the analysis split with exactly this config:
		// the same training; it is re-analysed once and then carries both.
		analysis = "legacy"
	}
	switch {
	case rec.Finished && (rec.AnalysisVersion != spec.AnalysisVersion || rec.AnalysisSHA256 != analysis):
		return Reanalyse, nil
	case rec.Finished:
		return Reuse, nil
	}
	if _, err := os.Stat(filepath.Join(dir, checkpoint)); err == nil {
		if now := kernels.Arithmetic(); rec.Arithmetic != "" && rec.Arithmetic != now {
			return 0, fmt.Errorf("%s: started under another arithmetic (%s; this binary: %s), so resuming would not give the bits of an uninterrupted run — resume it with a binary built the same way (GOAMD64, noasm) on a CPU with the same kernels, or --force to retrain", dir, rec.Arithmetic, now)
		}
		return Resume, nil
	}
	return Restart, nil
}

// Resumable is nil when dir holds an interrupted run of spec with a
// checkpoint (what `circuitry resume` continues), or an error saying why
// not: another config, already finished, or no checkpoint.
func Resumable(dir string, spec RunSpec, checkpoint string) error {
	switch act, err := Inspect(dir, spec, checkpoint, false); {
	case err != nil:
		return err
	case act == Reuse || act == Reanalyse:
		return fmt.Errorf("%s: already finished; nothing to resume", dir)
	case act != Resume:
		return fmt.Errorf("%s: no checkpoint to resume from", dir)
	}
	return nil
}

func onlyLock(entries []os.DirEntry) bool {
	for _, e := range entries {
		if e.Name() != lockName {
			return false
		}
	}
	return true
}

// ReadRecord reads dir's run.json.
func ReadRecord(dir string) (*Record, error) {
	path := filepath.Join(dir, recordName)
	b, err := fsutil.ReadRegular(path, fsutil.MaxRecordBytes)
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil || rec.Kind == "" || len(rec.ConfigSHA256) != 64 {
		return nil, fmt.Errorf("%s: not a valid run record (damaged?) — use --force to retrain or another out dir", path)
	}
	return &rec, nil
}

// mismatch is the refusal naming the keys whose values differ between the
// run's config.yaml and the spec.
func mismatch(dir string, rec *Record, spec RunSpec) error {
	verb := "started"
	if rec.Finished {
		verb = "finished"
	}
	const hint = " — use --force to retrain or another out dir"
	old, err := fsutil.ReadRegular(filepath.Join(dir, "config.yaml"), fsutil.MaxRecordBytes)
	if err != nil {
		return fmt.Errorf("%s: %s with another config (its config.yaml is unreadable: %v)%s", dir, verb, err, hint)
	}
	was, err1 := flattenYAML(old)
	if rec.TrainerVersion > 0 && err1 == nil {
		was[versionKey] = strconv.Itoa(rec.TrainerVersion)
	}
	now, err2 := spec.flat()
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("%s: %s with another config (%v)%s", dir, verb, err, hint)
	}
	if canonicalHash(was, spec.ignored()) != rec.ConfigSHA256 && canonicalHash(was, spec.neutral()) != rec.ConfigSHA256 {
		return fmt.Errorf("%s: its config.yaml is not the config the run %s with (edited by hand?)%s", dir, verb, hint)
	}
	var before, after []string
	for _, k := range diffKeys(was, now, spec.ignored()) {
		before = append(before, k+"="+orUnset(was, k))
		after = append(after, k+"="+orUnset(now, k))
	}
	return fmt.Errorf("%s: %s with %s, the config now says %s%s", dir, verb, strings.Join(before, ", "), strings.Join(after, ", "), hint)
}

func orUnset(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return "(unset)"
}

// diffKeys lists, sorted, the non-neutral keys whose values differ.
func diffKeys(a, b map[string]string, ignore func(string) bool) []string {
	var keys []string
	for k, v := range a {
		if w, ok := b[k]; (!ok || w != v) && !ignore(k) {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !ignore(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// canonicalHash hashes "key=value" lines, sorted by key, the ignored keys
// (nil: none) left out.
func canonicalHash(flat map[string]string, ignore func(string) bool) string {
	keys := make([]string, 0, len(flat))
	for k := range flat {
		if ignore == nil || !ignore(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, flat[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// flattenYAML maps every leaf of a YAML mapping to its dotted key; lists
// are leaves, written on one line as --set takes them ([a, b]).
func flattenYAML(data []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	flat := map[string]string{}
	if doc.Kind == 0 {
		return flat, nil
	}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := walk(n.Content[i+1], prefix+n.Content[i].Value+"."); err != nil {
					return err
				}
			}
			return nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		flat[strings.TrimSuffix(prefix, ".")] = FlowYAML(v)
		return nil
	}
	return flat, walk(doc.Content[0], "")
}

// Refusals joins the policy's refusals of a study's points into one
// error: the first in full, then how many more.
func Refusals(errs []string) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errors.New(errs[0])
	}
	return fmt.Errorf("%s (and %d more points like it)", errs[0], len(errs)-1)
}

// FlattenConfig maps every leaf of a YAML config to its dotted key (lists
// on one line, as --set takes them): what run fingerprints and comparisons
// of runs are computed over.
func FlattenConfig(data []byte) (map[string]string, error) { return flattenYAML(data) }
