package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
)

// Values is a mapping of string values, such as a connector's own settings or
// an action's inputs. Values of keys that look secret (see [SecretKey]) print
// as [Redacted] with fmt, slog and JSON, and in [Config.Dump]; index the map
// (or call [Values.Reveal]) where the real values are needed.
type Values map[string]string

// SecretKey reports whether a key names a secret by the words in it: secret,
// token, password or key, in any case. The connector's spec is the authority
// at run time; this is the rule wherever the spec is not at hand.
func SecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"secret", "token", "password", "key"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Reveal returns a copy of the values, secrets included.
func (v Values) Reveal() map[string]string { return maps.Clone(map[string]string(v)) }

// Redacted returns a copy with the values of secret-looking keys replaced by
// [Redacted].
func (v Values) Redacted() map[string]string {
	out := make(map[string]string, len(v))
	for k, s := range v {
		if SecretKey(k) && s != "" {
			s = Redacted
		}
		out[k] = s
	}
	return out
}

// String prints the values in key order, secrets redacted.
func (v Values) String() string {
	r := v.Redacted()
	keys := slices.Sorted(maps.Keys(r))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + r[k]
	}
	return "map[" + strings.Join(parts, " ") + "]"
}

// GoString redacts %#v too.
func (v Values) GoString() string { return "config.Values" + v.String()[3:] }

// MarshalJSON encodes the values with secrets redacted.
func (v Values) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("null"), nil
	}
	return json.Marshal(v.Redacted())
}

// LogValue redacts the values in slog records.
func (v Values) LogValue() slog.Value { return slog.StringValue(v.String()) }

// decodeMap fills the Values field v from a YAML mapping of scalars. Nested
// mappings (keys with dots, split by koanf) are joined back with dots. An
// empty mapping leaves v nil, as in Default.
func (d *decoder) decodeMap(f *field, path string, v reflect.Value, in any) {
	m, ok := in.(map[string]any)
	if !ok {
		d.add(path, nil, nil, "expected a mapping of keys to values, got %s", describe(in))
		return
	}
	out := Values{}
	var flatten func(prefix string, m map[string]any)
	flatten = func(prefix string, m map[string]any) {
		for k, val := range m {
			key := join(prefix, k)
			switch x := val.(type) {
			case map[string]any:
				flatten(key, x)
			case nil:
				out[key] = ""
			default:
				s := reflect.New(reflect.TypeFor[string]()).Elem()
				if err := setScalar(s, x); err != nil {
					d.add(path+"."+key, shownValue(x, SecretKey(key)), err, "%v", err)
					continue
				}
				out[key] = s.String()
			}
		}
	}
	flatten("", m)
	if len(out) == 0 {
		v.Set(reflect.Zero(f.typ))
		return
	}
	v.Set(reflect.ValueOf(out).Convert(f.typ))
}

// mapLines renders a Values field as a block mapping in key order, with
// secrets redacted when redact is set; an empty one as {}.
func (r *renderer) mapLines(pad, key string, v reflect.Value, redact bool) {
	if v.Len() == 0 {
		r.line(pad + key + ": {}")
		return
	}
	r.line(pad + key + ":")
	vals := v.Convert(reflect.TypeFor[Values]()).Interface().(Values)
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		s := yamlString(vals[k])
		if redact && SecretKey(k) && vals[k] != "" {
			s = strconv.Quote(Redacted)
		}
		r.line(pad + "  " + yamlString(k) + ": " + s)
	}
}

// mapToAny returns a Values field as the map koanf holds, or nil when empty.
func mapToAny(v reflect.Value) map[string]any {
	if v.Len() == 0 {
		return nil
	}
	out := map[string]any{}
	iter := v.MapRange()
	for iter.Next() {
		out[iter.Key().String()] = iter.Value().String()
	}
	return out
}

// applyMapExample sets a Values field to its example tag, a YAML flow
// mapping such as {a: 1, b: "x"}.
func applyMapExample(v reflect.Value, f *field) {
	m, err := yaml.Parser().Unmarshal([]byte(f.example))
	if err != nil {
		panic(fmt.Sprintf("config: example of %s: %v", f.key, err))
	}
	out := reflect.MakeMap(f.typ)
	for k, val := range m {
		out.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(fmt.Sprint(val)))
	}
	v.Set(out)
}
