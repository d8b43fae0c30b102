package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// Environment variables with a meaning of their own; every other PARLEY_* name
// is a config key (see the package doc).
const (
	// EnvPrefix starts every environment variable Parley reads.
	EnvPrefix = "PARLEY_"
	// EnvAPIKey holds one raw API key, accepted besides api.keys.
	EnvAPIKey = "PARLEY_API_KEY"
	// EnvConfigFile names the config file when LoadOptions.File is empty.
	EnvConfigFile = "PARLEY_CONFIG"
)

// LoadOptions says where Load reads from.
type LoadOptions struct {
	// File is the YAML config file. Empty means the file named by PARLEY_CONFIG,
	// and with neither, Default: sandbox mode with the demo template and flow.
	File string
	// Env is the environment as "KEY=value" strings; nil means os.Environ().
	Env []string
}

// Load builds the configuration from the defaults, then the file (if any), then
// PARLEY_* environment variables, and validates it. Unknown keys, values of the
// wrong type and invalid values are all reported together in one
// *ValidationError; a file that cannot be read or parsed is an ordinary error.
//
// With a file, templates, flows and api.keys come only from the file: the demo
// template and flow of Default are not added to them.
func Load(opts LoadOptions) (*Config, error) {
	environ := opts.Env
	if environ == nil {
		environ = os.Environ()
	}
	path := opts.File
	if path == "" {
		path = lookupEnv(environ, EnvConfigFile)
	}

	cfg := Default()
	if path != "" {
		cfg = defaults()
	}
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(toMap(valueOf(cfg)), ""), nil); err != nil {
		return nil, fmt.Errorf("load config defaults: %w", err)
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("load config file %s: %w", path, err)
		}
	}
	ev := envReader{origin: map[string]string{}}
	if err := k.Load(env.Provider(".", env.Opt{
		Prefix:        EnvPrefix,
		TransformFunc: ev.transform,
		EnvironFunc:   func() []string { return environ },
	}), nil); err != nil {
		return nil, fmt.Errorf("load config environment: %w", err)
	}

	var d decoder
	d.list = ev.list
	d.decodeStruct("", valueOf(cfg), k.Raw())
	cfg.APIKeyFromEnv = ev.apiKey
	if err := cfg.Validate(); err != nil {
		d.list = append(d.list, err.(*ValidationError).Errors...) // Validate returns only this type
	}
	if len(d.list) == 0 {
		return cfg, nil
	}
	for i, fe := range d.list {
		if name, ok := ev.origin[fe.Path]; ok {
			d.list[i].Msg += " (from " + name + ")"
		}
	}
	return nil, &ValidationError{Errors: d.list}
}

// envReader turns PARLEY_* variables into koanf keys: PARLEY_, then the key path
// in upper case with "__" between levels. It records names that are not keys.
type envReader struct {
	problems
	origin map[string]string // key path -> variable name
	apiKey Secret
}

func (e *envReader) transform(name, value string) (string, any) {
	switch name {
	case EnvAPIKey:
		e.apiKey = Secret(value)
		return "", nil
	case EnvConfigFile:
		return "", nil
	}
	path := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, EnvPrefix), "__", "."))
	if msg := checkEnvPath(path); msg != "" {
		e.add(path, nil, ErrUnknownKey, "%s (from environment variable %s)", msg, name)
		return "", nil
	}
	e.origin[path] = name
	return path, value
}

// checkEnvPath returns why path cannot be set from the environment, or "".
func checkEnvPath(path string) string {
	t := reflect.TypeFor[Config]()
	parts := strings.Split(path, ".")
	for i, p := range parts {
		var f *field
		fs := fieldsOf(t)
		for j := range fs {
			if fs[j].key == p {
				f = &fs[j]
			}
		}
		if f == nil {
			return "unknown key" + suggest(p, fs)
		}
		last := i == len(parts)-1
		switch kindOf(f.typ) {
		case kindStructList, kindScalarList:
			return "is a list: set lists in the config file"
		case kindMap:
			return "is a mapping: set it in the config file"
		case kindStruct:
			if last {
				return "is a section: set its keys, e.g. " + EnvName(join(path, fieldsOf(f.typ)[0].key))
			}
			t = f.typ
		default:
			if !last {
				return "unknown key"
			}
		}
	}
	return ""
}

// EnvName returns the environment variable that sets the key at path, e.g.
// PARLEY_WHATSAPP__ACCESS_TOKEN for whatsapp.access_token.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "__"))
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// toMap turns struct v into the nested map koanf holds, for the defaults layer.
func toMap(v reflect.Value) map[string]any {
	m := map[string]any{}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		switch kindOf(f.typ) {
		case kindStruct:
			m[f.key] = toMap(fv)
		case kindPtrStruct:
			if !fv.IsNil() {
				m[f.key] = toMap(fv.Elem())
			}
		case kindStructList:
			if fv.Len() > 0 {
				items := make([]any, fv.Len())
				for i := range items {
					items[i] = toMap(fv.Index(i))
				}
				m[f.key] = items
			}
		case kindScalarList:
			if fv.Len() > 0 {
				items := make([]any, fv.Len())
				for i := range items {
					items[i] = scalarOf(fv.Index(i))
				}
				m[f.key] = items
			}
		case kindMap:
			if mv := mapToAny(fv); mv != nil {
				m[f.key] = mv
			}
		default:
			m[f.key] = scalarOf(fv)
		}
	}
	return m
}

// scalarOf returns a scalar as the plain value setScalar accepts back.
func scalarOf(v reflect.Value) any {
	if v.Type() == durationType {
		return formatDuration(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int64:
		return v.Int()
	case reflect.Float64:
		return v.Float()
	}
	panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
}
