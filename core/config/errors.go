package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors carried by [FieldError.Err]; test for them with errors.Is.
var (
	// ErrUnknownKey means a key in the file or a PARLEY_* variable names no field.
	ErrUnknownKey = errors.New("unknown key")
	// ErrRequired means a required value is empty.
	ErrRequired = errors.New("required")
)

// FieldError is one problem with one configuration key.
type FieldError struct {
	// Path is the key path, e.g. "flows[2].template.name"; list indexes start at 0.
	Path string
	// Value is the offending value, [Redacted] for a non-empty secret, and nil
	// when there is none to show (an unknown key's value is never kept: it may
	// be a misspelt secret).
	Value any
	// Msg says what is wrong, including the rendered value where that helps,
	// e.g. `unknown template "shipping_update"`.
	Msg string
	// Err is the cause or one of the package's sentinel errors; it may be nil.
	Err error
}

// Error returns "path: msg".
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns the cause, if any.
func (e FieldError) Unwrap() error { return e.Err }

// ValidationError lists every problem found in a configuration, in schema order.
type ValidationError struct {
	Errors []FieldError
}

// Error returns every problem, one per line after the first.
func (e *ValidationError) Error() string {
	if len(e.Errors) == 1 {
		return "invalid config: " + e.Errors[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid config: %d problems:", len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Unwrap returns each [FieldError], so errors.As and errors.Is see them.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

// problems collects FieldErrors; the zero value is ready to use.
type problems struct {
	list []FieldError
}

// add records a problem. Msg is a format whose arguments are rendered by show
// where they stand for values.
func (p *problems) add(path string, value any, cause error, format string, args ...any) {
	p.list = append(p.list, FieldError{Path: path, Value: value, Msg: fmt.Sprintf(format, args...), Err: cause})
}

// err returns a *ValidationError, or nil when nothing was recorded.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Errors: p.list}
}
