// Package eventdata helps a connector build an sdk.Event's Data and
// Contact from a vendor's payload, with one notion of "empty" for every
// connector: text that is blank once trimmed is absent, so flows see a
// missing field rather than an empty one. It imports only the standard
// library.
package eventdata

import (
	"strings"
	"time"
)

// Put sets data[key] to v, trimmed, unless v is blank.
func Put(data map[string]any, key, v string) {
	if v = strings.TrimSpace(v); v != "" {
		data[key] = v
	}
}

// Strings converts ss to []any: event data travels as JSON-like values,
// and a []string does not survive the trip as one.
func Strings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// First returns the first of vals that is not blank, trimmed; "" when all
// are.
func First(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// FullName joins a first and a last name, either of which may be blank:
// FullName(" Ana ", "Souza") is "Ana Souza", FullName("", "Souza") is
// "Souza".
func FullName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

// EncodableTime reports whether t can be carried by an event: JSON (RFC
// 3339) holds years 0 to 9999 only, so a timestamp outside them, which a
// crafted payload can produce (a year-9999 date with a negative offset is
// year 10000 in UTC), must be refused or replaced rather than passed on.
func EncodableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}
