package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/circuitry-lab/circuitry/internal/fsutil"
	"go.yaml.in/yaml/v3"
)

// DecodeStrict decodes YAML into dst (a pointer to a struct holding the
// defaults), rejecting unknown keys with their dotted path, then applies
// key=value overrides checked against the field types.
func DecodeStrict(data []byte, overrides []string, dst any) error {
	var doc yaml.Node
	docs := yaml.NewDecoder(bytes.NewReader(data))
	if err := docs.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	var next yaml.Node
	if err := docs.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return fmt.Errorf("invalid YAML: %w", err)
		}
		return fmt.Errorf("config holds more than one YAML document (a second starts at line %d); one config per file", next.Line)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if doc.Kind == 0 { // empty file
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config must be a mapping of keys to values")
	}
	typ := reflect.TypeOf(dst).Elem()
	if err := checkKeys(root, typ, ""); err != nil {
		return err
	}
	for _, o := range overrides {
		if err := applyOverride(root, typ, o); err != nil {
			return err
		}
	}
	if err := checkScalars(root, typ, ""); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(root); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// checkScalars checks every value against its field's type before
// decoding, so nothing is coerced: a count must be a whole number in
// range (1.5 and 2^64 are errors, not 1 and 2^63), an empty value is an
// error rather than the default, and a float must be finite.
func checkScalars(n *yaml.Node, t reflect.Type, key string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // checkKeys reports it
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if f, ok := yamlField(t, n.Content[i].Value); ok {
				if err := checkScalars(n.Content[i+1], f.Type, joinKey(key, n.Content[i].Value)); err != nil {
					return err
				}
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i, e := range n.Content {
				if err := checkScalars(e, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if n.Kind != yaml.ScalarNode {
		return nil // the decoder names the mismatch
	}
	bad := func(want string) error {
		if n.Line > 0 {
			return fmt.Errorf("%s = %q (line %d): want %s", key, n.Value, n.Line, want)
		}
		return fmt.Errorf("%s = %q: want %s", key, n.Value, want) // from --set
	}
	if n.Tag == "!!null" {
		return bad("a value (" + typeName(t) + "); it is empty")
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		if !wholeNumber(n) {
			return bad("a whole number")
		}
		if _, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits()); err != nil {
			return bad(fmt.Sprintf("a whole number that fits %d bits", t.Bits()))
		}
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		if !wholeNumber(n) {
			return bad("a whole number >= 0")
		}
		if _, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits()); err != nil {
			return bad(fmt.Sprintf("a whole number in [0, 2^%d)", t.Bits()))
		}
	case reflect.Float64, reflect.Float32:
		var v float64
		if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("a finite number")
		}
	}
	return nil
}

// wholeNumber: YAML's integer, or digits too long for one (which YAML
// tags as a float), so an out-of-range count is reported as such.
func wholeNumber(n *yaml.Node) bool {
	if n.Tag == "!!int" {
		return true
	}
	v := strings.TrimPrefix(n.Value, "-")
	return v != "" && strings.Trim(v, "0123456789_") == ""
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// yamlField finds the struct field of t whose yaml tag is key.
func yamlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if strings.Split(f.Tag.Get("yaml"), ",")[0] == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func knownKeys(t reflect.Type) string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		ks = append(ks, strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
	}
	return strings.Join(ks, ", ")
}

// checkKeys walks a mapping node against a struct type, so an unknown key
// is reported with its full dotted path and the keys allowed there.
func checkKeys(n *yaml.Node, t reflect.Type, prefix string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s (line %d): want a mapping with keys %s", strings.TrimSuffix(prefix, "."), n.Line, knownKeys(t))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := yamlField(t, k.Value)
		if !ok {
			return fmt.Errorf("unknown key %q (line %d); known keys here: %s", prefix+k.Value, k.Line, knownKeys(t))
		}
		if f.Type.Kind() == reflect.Struct {
			if err := checkKeys(v, f.Type, prefix+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyOverride sets one dotted key in the YAML tree, checking the key
// exists and the value decodes into the field's type.
func applyOverride(root *yaml.Node, t reflect.Type, o string) error {
	key, val, ok := strings.Cut(o, "=")
	if !ok || key == "" {
		return fmt.Errorf("--set %q: want key=value, e.g. train.lr=0.01", o)
	}
	parts := strings.Split(key, ".")
	node := root
	for i, p := range parts {
		f, ok := yamlField(t, p)
		if !ok {
			return fmt.Errorf("--set %s: unknown key %q; known keys here: %s", key, strings.Join(parts[:i+1], "."), knownKeys(t))
		}
		last := i == len(parts)-1
		if !last && f.Type.Kind() != reflect.Struct {
			return fmt.Errorf("--set %s: %q is not a section", key, strings.Join(parts[:i+1], "."))
		}
		if last {
			if f.Type.Kind() == reflect.Struct {
				return fmt.Errorf("--set %s: %q is a section; set one of its keys: %s", key, key, knownKeys(f.Type))
			}
			var v yaml.Node
			if err := yaml.Unmarshal([]byte(val), &v); err != nil {
				return fmt.Errorf("--set %s: invalid value %q: %w", key, val, err)
			}
			vn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
			if len(v.Content) > 0 {
				vn = v.Content[0]
			}
			probe := reflect.New(f.Type)
			if err := vn.Decode(probe.Interface()); err != nil {
				return fmt.Errorf("--set %s=%s: want a %s", key, val, typeName(f.Type))
			}
			setChild(node, p, vn)
			return nil
		}
		child := getChild(node, p)
		if child == nil {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			setChild(node, p, child)
		}
		node, t = child, f.Type
	}
	return nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s, e.g. [500, 500]"
	}
	return t.Kind().String()
}

func getChild(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setChild(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// ToYAML marshals a config struct (config.yaml, study.yaml).
func ToYAML(v any) []byte {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return b
}

// StudyOf returns the value of a config file's top-level "study" key, or
// "" for a single-run config.
func StudyOf(data []byte) string {
	var head struct {
		Study string `yaml:"study"`
	}
	_ = yaml.Unmarshal(data, &head) // a broken file is reported by the real decoder
	return head.Study
}

// FlowYAML encodes v on one line (lists as [a, b]), as --set expects.
func FlowYAML(v any) string {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	var flow func(*yaml.Node)
	flow = func(n *yaml.Node) {
		n.Style |= yaml.FlowStyle
		for _, c := range n.Content {
			flow(c)
		}
	}
	flow(&n)
	b, err := yaml.Marshal(&n)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}

// Decode decodes a YAML config over defaults, applies key=value overrides
// (unknown keys are errors naming them) and validates the result.
func Decode[T any, P interface {
	*T
	Validate() error
}](data []byte, overrides []string, defaults T) (T, error) {
	if err := DecodeStrict(data, overrides, &defaults); err != nil {
		return defaults, err
	}
	return defaults, P(&defaults).Validate()
}

// MaxConfigBytes bounds a config file (the largest preset is ~2 KB).
const MaxConfigBytes = 1 << 20

// ReadConfigFile reads a config file: a regular file of at most
// MaxConfigBytes, opened without blocking (fsutil.ReadRegular), so pointing
// a command at /dev/zero, a FIFO or a swapped-in symlink is an error naming
// it, not a process that reads or waits forever.
func ReadConfigFile(path string) ([]byte, error) {
	b, err := fsutil.ReadRegular(path, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b, nil
}
