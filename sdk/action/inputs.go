package action

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/parley-hub/parley/sdk"
)

// Inputs reads the inputs of one action call. Each reader records a
// problem instead of failing; Err returns them all at once. It is not safe
// for concurrent use.
type Inputs struct {
	req  sdk.ActionRequest
	errs []string
}

// Read starts reading req's inputs.
func Read(req sdk.ActionRequest) *Inputs { return &Inputs{req: req} }

// Request returns the call being read.
func (in *Inputs) Request() sdk.ActionRequest { return in.req }

// Fail records a problem, such as `input "priority" "asap" is not one of
// low, normal, high`.
func (in *Inputs) Fail(format string, args ...any) {
	in.errs = append(in.errs, fmt.Sprintf(format, args...))
}

// Require records `input "name" is required` when v is empty.
func (in *Inputs) Require(name, v string) {
	if v == "" {
		in.Fail("input %q is required", name)
	}
}

// Err returns every recorded problem in one error wrapping
// sdk.ErrBadRequest and naming the action, or nil.
func (in *Inputs) Err() error {
	if len(in.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", sdk.ErrBadRequest, in.req.Action, strings.Join(in.errs, "; "))
}

// String reads a text input, trimmed; "" when absent. A number (as
// json.Number, the way it arrives over the wire, or a Go number) is taken
// as its text, so an id may be given either way.
func (in *Inputs) String(name string) string {
	switch v := in.req.Input[name].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case float64, int, int64:
		return fmt.Sprint(v)
	default:
		in.Fail("input %q must be text, got %T", name, v)
		return ""
	}
}

// Bool reads a bool input, also given as the text "true" or "false" (any
// form strconv.ParseBool accepts); def when absent or blank.
func (in *Inputs) Bool(name string, def bool) bool {
	switch v := in.req.Input[name].(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return def
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			in.Fail("input %q %q is not true or false", name, v)
			return def
		}
		return b
	default:
		in.Fail("input %q must be true or false, got %T", name, v)
		return def
	}
}

// List reads a list input, given as a list of strings or as
// comma-separated text. Items are split at commas and trimmed; blank ones
// are dropped.
func (in *Inputs) List(name string) []string {
	var parts []string
	switch v := in.req.Input[name].(type) {
	case nil:
		return nil
	case string:
		parts = []string{v}
	case []string:
		parts = v
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				in.Fail("input %q must hold text, got %T", name, x)
				return nil
			}
			parts = append(parts, s)
		}
	default:
		in.Fail("input %q must be a list or comma-separated text, got %T", name, v)
		return nil
	}
	var out []string
	for _, p := range parts {
		for item := range strings.SplitSeq(p, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
