package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// field is the parsed description of one struct field: its key, documentation,
// default and constraints, all read from the field's tags (see the package doc).
type field struct {
	key      string
	index    int
	typ      reflect.Type
	desc     string
	def      string
	hasDef   bool
	example  string
	required string // "", "true", or the Mode in which the field is required
	enum     []string
	pattern  *regexp.Regexp
	format   string
	min, max *bound
	secret   bool
}

// bound is an inclusive (or, with a ">" or "<" prefix, exclusive) limit on a number
// or a duration; durations compare in nanoseconds.
type bound struct {
	raw       string
	value     float64
	exclusive bool
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()

	formats = map[string]bool{"hostport": true, "url": true, "eventpath": true, "timezone": true, "timestamp": true}

	fieldCache sync.Map // reflect.Type -> []field
)

// valueOf returns the addressable struct a pointer points to.
func valueOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }

// fieldsOf returns the described fields of struct type t, in declaration order,
// skipping fields tagged koanf:"-". A malformed tag panics: tags are constants,
// and TestSchemaTags parses every one.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get("koanf")
		if key == "-" || !sf.IsExported() {
			continue
		}
		if key == "" {
			panic(fmt.Sprintf("config: %s.%s has no koanf tag", t.Name(), sf.Name))
		}
		f := field{
			key:      key,
			index:    i,
			typ:      sf.Type,
			desc:     sf.Tag.Get("desc"),
			example:  sf.Tag.Get("example"),
			required: sf.Tag.Get("required"),
			format:   sf.Tag.Get("format"),
			secret:   sf.Type == secretType,
		}
		f.def, f.hasDef = sf.Tag.Lookup("default")
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, "|")
		}
		if p := sf.Tag.Get("pattern"); p != "" {
			f.pattern = regexp.MustCompile(p)
		}
		if f.format != "" && !formats[f.format] {
			panic(fmt.Sprintf("config: %s.%s: unknown format %q", t.Name(), sf.Name, f.format))
		}
		if f.required != "" && f.required != "true" && f.required != string(ModeSandbox) && f.required != string(ModeProduction) {
			panic(fmt.Sprintf("config: %s.%s: bad required tag %q", t.Name(), sf.Name, f.required))
		}
		f.min = parseBound(t, sf, "min")
		f.max = parseBound(t, sf, "max")
		fs = append(fs, f)
	}
	fieldCache.Store(t, fs)
	return fs
}

func parseBound(t reflect.Type, sf reflect.StructField, tag string) *bound {
	raw, ok := sf.Tag.Lookup(tag)
	if !ok {
		return nil
	}
	b := &bound{raw: raw}
	s := raw
	if rest, ok := strings.CutPrefix(s, ">"); ok && tag == "min" {
		b.exclusive, s = true, rest
	} else if rest, ok := strings.CutPrefix(s, "<"); ok && tag == "max" {
		b.exclusive, s = true, rest
	}
	var err error
	if sf.Type == durationType {
		var d time.Duration
		d, err = time.ParseDuration(s)
		b.value = float64(d)
	} else {
		b.value, err = strconv.ParseFloat(s, 64)
	}
	if err != nil {
		panic(fmt.Sprintf("config: %s.%s: bad %s tag %q: %v", t.Name(), sf.Name, tag, raw, err))
	}
	return b
}

// kind is how a field is rendered, decoded and validated.
type kind int

const (
	kindScalar     kind = iota // string, Secret, bool, int, float, duration
	kindStruct                 // a nested section
	kindPtrStruct              // an optional section (nil when absent)
	kindStructList             // a list of sections
	kindScalarList             // a list of scalars
	kindMap                    // a mapping of string values (Values)
)

func kindOf(t reflect.Type) kind {
	switch {
	case t.Kind() == reflect.Struct:
		return kindStruct
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		return kindPtrStruct
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return kindStructList
	case t.Kind() == reflect.Slice:
		return kindScalarList
	case t.Kind() == reflect.Map:
		return kindMap
	}
	return kindScalar
}

// requiredIn reports whether the field must be non-empty in mode m.
func (f *field) requiredIn(m Mode) bool {
	return f.required == "true" || (f.required != "" && Mode(f.required) == m)
}

// applyDefaults sets every field of struct v that has a default tag, recursing
// into sections. Lists and optional sections are left empty.
func applyDefaults(v reflect.Value) {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		switch kindOf(f.typ) {
		case kindStruct:
			applyDefaults(fv)
		case kindScalar:
			if f.hasDef {
				if err := setScalar(fv, f.def); err != nil {
					panic(fmt.Sprintf("config: default of %s: %v", f.key, err))
				}
			}
		}
	}
}

// setScalar converts in (from YAML, the environment or a tag) into the scalar v.
// Strings are parsed; numbers and booleans are taken as they are when they fit.
func setScalar(v reflect.Value, in any) error {
	if v.Type() == durationType {
		switch x := in.(type) {
		case string:
			d, err := time.ParseDuration(strings.TrimSpace(x))
			if err != nil {
				return fmt.Errorf("invalid duration %q: use a number with a unit, e.g. 15s or 200ms", x)
			}
			v.SetInt(int64(d))
			return nil
		case int, int64, uint64, float64:
			if toFloat(x) == 0 {
				v.SetInt(0)
				return nil
			}
		}
		return fmt.Errorf("invalid duration %s: use a number with a unit, e.g. 15s or 200ms", show(in, false))
	}
	switch v.Kind() {
	case reflect.String:
		switch x := in.(type) {
		case string:
			v.SetString(x)
		case int, int64, uint64, bool:
			v.SetString(fmt.Sprint(x))
		case float64:
			v.SetString(strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return fmt.Errorf("expected a string, got %s", describe(in))
		}
	case reflect.Bool:
		switch x := in.(type) {
		case bool:
			v.SetBool(x)
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return fmt.Errorf("invalid boolean %q: use true or false", x)
			}
			v.SetBool(b)
		default:
			return fmt.Errorf("expected true or false, got %s", describe(in))
		}
	case reflect.Int, reflect.Int64:
		switch x := in.(type) {
		case int, int64, uint64, float64:
			f := toFloat(x)
			if f != float64(int64(f)) {
				return fmt.Errorf("expected a whole number, got %s", show(in, false))
			}
			v.SetInt(int64(f))
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return fmt.Errorf("invalid whole number %q", x)
			}
			v.SetInt(n)
		default:
			return fmt.Errorf("expected a whole number, got %s", describe(in))
		}
	case reflect.Float64:
		switch x := in.(type) {
		case int, int64, uint64, float64:
			v.SetFloat(toFloat(x))
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return fmt.Errorf("invalid number %q", x)
			}
			v.SetFloat(f)
		default:
			return fmt.Errorf("expected a number, got %s", describe(in))
		}
	default:
		panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
	}
	return nil
}

func toFloat(x any) float64 {
	switch n := x.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// describe names the YAML type of a decoded value, for type errors.
func describe(in any) string {
	switch in.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", in)
}

// show renders a value for an error message, redacting secrets.
func show(v any, secret bool) string {
	if secret {
		if s := fmt.Sprint(v); s != "" {
			return Redacted
		}
		return `""`
	}
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case Secret:
		return strconv.Quote(x.String())
	case time.Duration:
		return formatDuration(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return strconv.Quote(rv.String())
	}
	return fmt.Sprint(v)
}

// shownValue is the Value kept in a FieldError: Redacted for a non-empty secret.
func shownValue(v any, secret bool) any {
	if secret && fmt.Sprint(v) != "" {
		return Redacted
	}
	return v
}

// formatDuration prints d like time.Duration.String without zero units: 1m, not 1m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
