// Package configure helps a connector implement Configure: a Parser reads
// config values by the connector's own []sdk.Field (the ones its Spec
// declares), applying each field's Default, checking Required fields and
// the value's form, and reporting every problem at once as *sdk.ConfigError
// values; a State holds what Configure built for the calls that follow.
//
//	func (c *Connector) Configure(_ context.Context, values sdk.Config) error {
//		p := configure.NewParser(values, configFields)
//		cfg := &config{
//			secret:  p.Secret("client_secret"),
//			apiBase: strings.TrimRight(p.String("api_base_url", configure.HTTPURL), "/"),
//			timeout: p.Duration("request_timeout"),
//		}
//		if err := p.Err(); err != nil {
//			return err
//		}
//		c.state.Set(cfg)
//		return nil
//	}
//
// The SDK applies defaults and checks required fields before Configure is
// called through the plugin boundary; the Parser does it again so that a
// connector called directly (in its own tests) behaves the same. It
// imports only the standard library and the sdk package.
package configure

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Parser reads config values. Values are trimmed of surrounding space,
// except secrets, which are used as given. Problems name the field and the
// bad value, never a secret one. It is not safe for concurrent use.
type Parser struct {
	values sdk.Config
	fields map[string]sdk.Field
	errs   []error
}

// NewParser reads values by fields, normally the Spec's Config.
func NewParser(values sdk.Config, fields []sdk.Field) *Parser {
	p := &Parser{values: values, fields: make(map[string]sdk.Field, len(fields))}
	for _, f := range fields {
		p.fields[f.Name] = f
	}
	return p
}

// Fail records a problem with a field.
func (p *Parser) Fail(field, format string, args ...any) {
	p.errs = append(p.errs, &sdk.ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// Err returns every problem recorded, joined, or nil. Each is an
// *sdk.ConfigError, and the whole wraps sdk.ErrBadRequest.
func (p *Parser) Err() error { return errors.Join(p.errs...) }

// field returns the field's declaration and its value, trimmed, or its
// Default when blank; ok is false, and "is required" recorded, when a
// Required field has neither.
func (p *Parser) field(name string) (f sdk.Field, v string, ok bool) {
	f, declared := p.fields[name]
	if !declared {
		p.Fail(name, "is read by the connector but not declared in its Spec")
		return f, "", false
	}
	v = strings.TrimSpace(p.values.Get(name))
	if v == "" {
		v = f.Default
	}
	if v == "" && f.Required {
		p.Fail(name, "is required")
		return f, "", false
	}
	return f, v, true
}

// bad records that v is not what the field wants, with the field's
// Example when it has one.
func (p *Parser) bad(f sdk.Field, v, want string) {
	if f.Example != "" {
		p.Fail(f.Name, "%q is not %s such as %q", v, want, f.Example)
		return
	}
	p.Fail(f.Name, "%q is not %s", v, want)
}

// A Check tells good values of a field from bad ones.
type Check struct {
	// OK reports whether a value (trimmed, never blank) is good.
	OK func(v string) bool
	// Want says what a good value is, for the problem: "an absolute
	// http(s) URL" gives `"ftp://x" is not an absolute http(s) URL such
	// as "https://…"` (the field's Example).
	Want string
}

// HTTPURL accepts absolute http and https URLs.
var HTTPURL = Check{Want: "an absolute http(s) URL", OK: func(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}}

// String returns the field's value, trimmed, or its Default when blank; ""
// when it has neither, or when a check fails (the problem is recorded).
func (p *Parser) String(field string, checks ...Check) string {
	f, v, ok := p.field(field)
	if !ok || v == "" {
		return ""
	}
	for _, c := range checks {
		if !c.OK(v) {
			p.bad(f, v, c.Want)
			return ""
		}
	}
	return v
}

// Secret returns the field's value as given (not trimmed), or nil when it
// is blank; a blank Required field is recorded as missing. The value never
// appears in a problem.
func (p *Parser) Secret(field string) []byte {
	f, declared := p.fields[field]
	v := p.values.Get(field)
	switch {
	case !declared:
		p.Fail(field, "is read by the connector but not declared in its Spec")
	case strings.TrimSpace(v) != "":
		return []byte(v)
	case f.Required:
		p.Fail(field, "is required")
	}
	return nil
}

// Duration reads a positive Go duration ("90s", "1h30m"); 0 when the field
// is blank and has no Default, or when the value is bad (recorded).
func (p *Parser) Duration(field string) time.Duration {
	return parse(p, field, "a positive duration", func(v string) (time.Duration, bool) {
		d, err := time.ParseDuration(v)
		return d, err == nil && d > 0
	})
}

// Int reads a positive integer; 0 when the field is blank and has no
// Default, or when the value is bad (recorded).
func (p *Parser) Int(field string) int {
	return parse(p, field, "a positive integer", func(v string) (int, bool) {
		n, err := strconv.Atoi(v)
		return n, err == nil && n > 0
	})
}

// Bool reads true or false (any form strconv.ParseBool accepts); false
// when the field is blank and has no Default, or when the value is bad
// (recorded).
func (p *Parser) Bool(field string) bool {
	return parse(p, field, "true or false", func(v string) (bool, bool) {
		b, err := strconv.ParseBool(v)
		return b, err == nil
	})
}

// parse reads a field with read, recording a value it refuses as not
// being want; the zero T when the field is blank and has no Default.
func parse[T any](p *Parser, field, want string, read func(string) (T, bool)) T {
	var zero T
	f, v, ok := p.field(field)
	if !ok || v == "" {
		return zero
	}
	t, good := read(v)
	if !good {
		p.bad(f, v, want)
		return zero
	}
	return t
}

// State holds what Configure built (a parsed config, API clients) for the
// calls that follow, which may run concurrently with each other and with a
// new Configure. The zero value holds nothing.
type State[T any] struct {
	p atomic.Pointer[T]
}

// Set replaces what the State holds.
func (s *State[T]) Set(v *T) { s.p.Store(v) }

// Get returns what the State holds, or an error wrapping
// sdk.ErrNotConfigured before the first Set.
func (s *State[T]) Get() (*T, error) {
	if v := s.p.Load(); v != nil {
		return v, nil
	}
	return nil, sdk.ErrNotConfigured
}
