package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxKeys bounds the keys of one mapping: the schema's largest has 12,
// and yaml.v3's duplicate-key check is quadratic in the number of keys.
const maxKeys = 64

// decode strictly decodes one YAML document over the defaults. An empty
// document yields the defaults (Validate then says what is missing).
func decode(data []byte) (*Config, error) {
	var root yaml.Node // parsed without decoding: linear, aliases unexpanded
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(err)
	}
	if n := bigMapping(&root); n != nil {
		return nil, fmt.Errorf("line %d: more than %d keys in one mapping", n.Line, maxKeys)
	}
	cfg := defaults()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	switch err := dec.Decode(&cfg); {
	case errors.Is(err, io.EOF):
		return &cfg, nil
	case err != nil:
		return nil, decodeError(&root, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return &cfg, nil
	case err != nil:
		return nil, syntaxError(err)
	default:
		return nil, fmt.Errorf("line %d: only one YAML document is allowed", next.Line)
	}
}

// bigMapping returns the first mapping under n with more than maxKeys keys.
func bigMapping(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.MappingNode && len(n.Content) > 2*maxKeys {
		return n
	}
	for _, c := range n.Content {
		if big := bigMapping(c); big != nil {
			return big
		}
	}
	return nil
}

// syntaxError drops yaml.v3's "yaml: " before "line N:".
func syntaxError(err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), "yaml: line "); ok {
		return errors.New("line " + msg)
	}
	return err
}

// decodeError turns yaml.v3's type errors into one error per problem, with
// the Go type names replaced by YAML paths where the line pins them down.
func decodeError(root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return syntaxError(err)
	}
	s := sites{}
	s.index(root, "", reflect.TypeFor[Config]())
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		errs = append(errs, errors.New(rewrite(msg, s)))
	}
	return errors.Join(errs...)
}

// siteKey is what yaml.v3's messages tell about a node: its line, and for
// a key its text (and, for unknown keys, the struct type), for a value its
// tag, its text as yaml.v3 shows it and the Go type it decodes into.
type siteKey struct {
	line   int
	kind   byte // 'k': key in a struct type, 'd': key (duplicates), 'v': value
	tag    string
	shown  string
	goType string
}

// sites maps the nodes of a document to their YAML paths, in document
// order; take pops the first, so repeated messages get successive paths.
type sites map[siteKey][]string

func (s sites) add(k siteKey, path string) { s[k] = append(s[k], path) }

func (s sites) take(k siteKey) (string, bool) {
	paths := s[k]
	if len(paths) == 0 {
		return "", false
	}
	s[k] = paths[1:]
	return paths[0], true
}

// index adds the key and value nodes under n, which decodes into t (nil if
// unknown). It does not follow aliases, so it is linear in the size of the
// document.
func (s sites) index(n *yaml.Node, path string, t reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			s.index(c, path, t)
		}
	case yaml.SequenceNode:
		s.add(siteKey{line: n.Line, kind: 'v', tag: n.ShortTag(), goType: typeName(t)}, path)
		for i, c := range n.Content {
			s.index(c, fmt.Sprintf("%s[%d]", path, i), elem(t))
		}
	case yaml.MappingNode:
		s.add(siteKey{line: n.Line, kind: 'v', tag: n.ShortTag(), goType: typeName(t)}, path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" { // merge keys belong to the parent
				s.index(v, path, t)
				continue
			}
			p := joinPath(path, k.Value)
			s.add(siteKey{line: k.Line, kind: 'k', shown: k.Value, goType: typeName(t)}, p)
			s.add(siteKey{line: k.Line, kind: 'd', shown: k.Value}, p)
			s.index(v, p, field(t, k.Value))
		}
	case yaml.ScalarNode:
		s.add(siteKey{line: n.Line, kind: 'v', tag: n.ShortTag(), shown: shown(n.Value), goType: typeName(t)}, path)
	}
}

// shown renders a scalar as yaml.v3's type errors do: values longer than 10
// bytes are cut to 7 bytes and "...".
func shown(v string) string {
	if len(v) > 10 {
		return v[:7] + "..."
	}
	return v
}

func typeName(t reflect.Type) string {
	if t == nil {
		return ""
	}
	return t.String()
}

// elem is the element type of a slice type, or nil.
func elem(t reflect.Type) reflect.Type {
	if t == nil || t.Kind() != reflect.Slice {
		return nil
	}
	return t.Elem()
}

// field is the type of the field of struct type t with YAML key key, or nil.
func field(t reflect.Type, key string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k == key && t.Field(i).IsExported() {
			return t.Field(i).Type
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	reUnknown   = regexp.MustCompile(`^line (\d+): field (.+) not found in type (.+)$`)
	reType      = regexp.MustCompile("^line (\\d+): cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
	reDuplicate = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
)

// rewrite rewrites one yaml.v3 type error message; a message it does not
// recognise, or whose node it cannot find, is returned unchanged.
func rewrite(msg string, s sites) string {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if path, ok := s.take(siteKey{line: line, kind: 'k', shown: m[2], goType: m[3]}); ok {
			return fmt.Sprintf("line %d: %s: unknown key%s", line, path, allowedKeys(m[3]))
		}
	}
	if m := reDuplicate.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if path, ok := s.take(siteKey{line: line, kind: 'd', shown: m[2]}); ok {
			return fmt.Sprintf("line %d: %s: duplicate key (first at line %s)", line, path, m[3])
		}
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if path, ok := s.take(siteKey{line: line, kind: 'v', tag: m[2], shown: m[3], goType: m[4]}); ok {
			got := m[2]
			if strings.Contains(msg, "`") {
				got += " " + strconv.Quote(m[3])
			}
			return fmt.Sprintf("line %d: %sgot %s, want %s", line, pathPrefix(path), got, describe(m[4]))
		}
	}
	return msg
}

// pathPrefix returns "path: ", or "" for the top level.
func pathPrefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// describe says in YAML terms what a Go type accepts.
func describe(goType string) string {
	switch {
	case goType == "int":
		return "an integer"
	case goType == "bool":
		return "true or false"
	case goType == "string" || goType == "config.Secret":
		return "a string"
	case goType == "time.Duration":
		return "a duration such as 30s, 2m or 1h"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case structTypes[goType] != nil:
		return "a mapping"
	}
	return goType
}

// allowedKeys lists the YAML keys of the named struct type.
func allowedKeys(goType string) string {
	t := structTypes[goType]
	if t == nil {
		return ""
	}
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return "; allowed: " + strings.Join(keys, ", ")
}

// structTypes maps the names yaml.v3 prints ("config.Client") to the struct
// types of the schema.
var structTypes = collectStructs(reflect.TypeFor[Config](), map[string]reflect.Type{})

func collectStructs(t reflect.Type, m map[string]reflect.Type) map[string]reflect.Type {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Config]().PkgPath() ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) || m[t.String()] != nil {
		return m // not ours, a scalar type such as Secret, or seen
	}
	m[t.String()] = t
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("yaml") != "-" {
			collectStructs(f.Type, m)
		}
	}
	return m
}
