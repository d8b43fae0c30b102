package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A path is a dotted list of object keys and array indexes into the body,
// such as "order.customer.phone" or "items.0.sku". "" is the body itself.

func checkPath(p string) error {
	if p == "" {
		return nil
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return fmt.Errorf("path %q has an empty segment", p)
		}
	}
	return nil
}

// lookup returns the value at path p, and whether anything (other than a JSON
// null) is there.
func lookup(v any, p string) (any, bool) {
	if p == "" {
		return v, v != nil
	}
	for _, seg := range strings.Split(p, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
		if v == nil {
			return nil, false
		}
	}
	return v, true
}

var errNotScalar = errors.New("is not a string, number or boolean")

// lookupString returns the scalar at path p as a string; "" when absent.
func lookupString(body any, p string) (string, error) {
	v, ok := lookup(body, p)
	if !ok {
		return "", nil
	}
	switch s := v.(type) {
	case string:
		return strings.TrimSpace(s), nil
	case json.Number:
		return s.String(), nil
	case bool:
		return strconv.FormatBool(s), nil
	default:
		return "", fmt.Errorf("%s %w", p, errNotScalar)
	}
}
