package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// decoder copies a koanf map into a Config strictly: every key must name a
// field, every value must fit its field. It records every problem and goes on,
// leaving a field that does not decode at its previous value.
type decoder struct {
	problems
}

// decodeStruct fills struct v from the mapping in. A nil (empty YAML) value
// leaves v as it is, defaults included.
func (d *decoder) decodeStruct(path string, v reflect.Value, in any) {
	if in == nil {
		return
	}
	m, ok := in.(map[string]any)
	if !ok {
		d.add(path, nil, nil, "expected a mapping of keys, got %s", describe(in))
		return
	}
	fs := fieldsOf(v.Type())
	known := make(map[string]bool, len(fs))
	for _, f := range fs {
		known[f.key] = true
		if val, ok := m[f.key]; ok {
			d.decodeField(&f, join(path, f.key), v.Field(f.index), val)
		}
	}
	var unknown []string
	for k := range m {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		d.add(join(path, k), nil, ErrUnknownKey, "unknown key%s", suggest(k, fs))
	}
}

func (d *decoder) decodeField(f *field, path string, v reflect.Value, in any) {
	if in == nil {
		return
	}
	switch kindOf(f.typ) {
	case kindStruct:
		d.decodeStruct(path, v, in)
	case kindPtrStruct:
		if v.IsNil() {
			v.Set(reflect.New(f.typ.Elem()))
			applyDefaults(v.Elem())
		}
		d.decodeStruct(path, v.Elem(), in)
	case kindStructList, kindScalarList:
		items, ok := in.([]any)
		if !ok {
			d.add(path, nil, nil, "expected a list, got %s", describe(in))
			return
		}
		if len(items) == 0 {
			v.Set(reflect.Zero(f.typ)) // an empty list is a nil slice, as in Default
			return
		}
		list := reflect.MakeSlice(f.typ, len(items), len(items))
		for i, item := range items {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if kindOf(f.typ) == kindStructList {
				applyDefaults(list.Index(i))
				d.decodeStruct(ip, list.Index(i), item)
			} else if err := setScalar(list.Index(i), item); err != nil {
				d.add(ip, item, err, "%v", err)
			}
		}
		v.Set(list)
	case kindMap:
		d.decodeMap(f, path, v, in)
	default:
		if err := setScalar(v, in); err != nil {
			d.add(path, shownValue(in, f.secret), err, "%v", err)
		}
	}
}

// join appends key to a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns `; did you mean "x"?` for the known key closest to k, if one
// is close enough to be a typo.
func suggest(k string, fs []field) string {
	best, bestDist := "", max(1, len(k)/3)+1
	for _, f := range fs {
		if dist := editDistance(k, f.key); dist < bestDist {
			best, bestDist = f.key, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, case-insensitive.
func editDistance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
