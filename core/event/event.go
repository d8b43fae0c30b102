package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Event is a canonical event. Type, Source and ID are required; together
// Source and ID identify the event in its source system and form the default
// idempotency key.
type Event struct {
	// Type names what happened, such as "order.shipped".
	Type string `json:"type"`
	// Source names the system it happened in, such as "shopify".
	Source string `json:"source"`
	// ID is the event's id in its source system.
	ID string `json:"id"`
	// OccurredAt is when it happened; it defaults to the time Parley received it.
	OccurredAt time.Time `json:"occurred_at"`
	// Contact is the person the event concerns.
	Contact Contact `json:"contact"`
	// Data is the event's payload; flows read it by path ("data.order_number").
	Data map[string]any `json:"data,omitempty"`
}

// Contact is the person an event concerns. Fields beyond the named ones are
// kept in Attributes.
type Contact struct {
	Phone      string         `json:"phone,omitempty"`
	Name       string         `json:"name,omitempty"`
	Locale     string         `json:"locale,omitempty"`
	Email      string         `json:"email,omitempty"`
	ExternalID string         `json:"external_id,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// FieldError says which field of an event is wrong, with its value.
type FieldError struct {
	Field string
	Value string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s (got %q)", e.Field, e.Msg, e.Value)
}

// MaxIDLength bounds type, source and id.
const MaxIDLength = 256

// Decode reads one event from JSON. Unknown top-level keys are refused, as
// is anything after the object; contact and data may carry any keys. A
// missing occurred_at is set to now. The error is a *FieldError naming the
// offending field and value.
func Decode(raw []byte, now time.Time) (*Event, error) {
	var wire struct {
		Type       string          `json:"type"`
		Source     string          `json:"source"`
		ID         json.RawMessage `json:"id"`
		OccurredAt string          `json:"occurred_at"`
		Contact    json.RawMessage `json:"contact"`
		Data       json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&wire); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Field: "body", Msg: "unexpected data after the JSON object"}
	}
	ev := &Event{Type: strings.TrimSpace(wire.Type), Source: strings.TrimSpace(wire.Source)}
	id, err := idString(wire.ID)
	if err != nil {
		return nil, err
	}
	ev.ID = id
	for _, f := range []struct{ name, v string }{{"type", ev.Type}, {"source", ev.Source}, {"id", ev.ID}} {
		if f.v == "" {
			return nil, &FieldError{Field: f.name, Msg: "is required"}
		}
		if len(f.v) > MaxIDLength {
			return nil, &FieldError{Field: f.name, Value: f.v[:32] + "...", Msg: fmt.Sprintf("longer than %d bytes", MaxIDLength)}
		}
	}
	ev.OccurredAt = now.UTC()
	if wire.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339Nano, wire.OccurredAt)
		if err != nil {
			return nil, &FieldError{Field: "occurred_at", Value: wire.OccurredAt, Msg: "want an RFC 3339 time such as 2026-11-25T10:00:00Z"}
		}
		ev.OccurredAt = t.UTC()
	}
	if err := decodeContact(wire.Contact, &ev.Contact); err != nil {
		return nil, err
	}
	if len(wire.Data) > 0 && string(wire.Data) != "null" {
		d := json.NewDecoder(bytes.NewReader(wire.Data))
		d.UseNumber()
		if err := d.Decode(&ev.Data); err != nil {
			return nil, &FieldError{Field: "data", Value: abbreviate(string(wire.Data)), Msg: "want a JSON object"}
		}
	}
	return ev, nil
}

func idString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", &FieldError{Field: "id", Value: abbreviate(string(raw)), Msg: "want a string or a number"}
}

func decodeContact(raw json.RawMessage, c *Contact) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var all map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&all); err != nil {
		return &FieldError{Field: "contact", Value: abbreviate(string(raw)), Msg: "want a JSON object"}
	}
	named := map[string]*string{"phone": &c.Phone, "name": &c.Name, "locale": &c.Locale, "email": &c.Email, "external_id": &c.ExternalID}
	for k, v := range all {
		dst, ok := named[k]
		if !ok {
			if k == "attributes" {
				m, ok := v.(map[string]any)
				if !ok {
					return &FieldError{Field: "contact.attributes", Value: fmt.Sprint(v), Msg: "want a JSON object"}
				}
				for ak, av := range m {
					setAttr(c, ak, av)
				}
				continue
			}
			setAttr(c, k, v)
			continue
		}
		switch s := v.(type) {
		case string:
			*dst = strings.TrimSpace(s)
		case json.Number:
			*dst = s.String()
		case nil:
		default:
			return &FieldError{Field: "contact." + k, Value: fmt.Sprint(v), Msg: "want a string"}
		}
	}
	return nil
}

func setAttr(c *Contact, k string, v any) {
	if c.Attributes == nil {
		c.Attributes = map[string]any{}
	}
	c.Attributes[k] = v
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &FieldError{Field: "body", Msg: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &te):
		return &FieldError{Field: te.Field, Value: te.Value, Msg: "want a " + te.Type.String()}
	case errors.Is(err, io.EOF):
		return &FieldError{Field: "body", Msg: "empty body; want a JSON object"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &FieldError{Field: name, Msg: "unknown field; an event has type, source, id, occurred_at, contact and data"}
	default:
		return &FieldError{Field: "body", Msg: "malformed JSON: " + err.Error()}
	}
}

func abbreviate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Lookup returns the value at a dotted path: "id", "type", "source",
// "occurred_at", "contact.<field>" (named fields, then attributes) or
// "data.<key>[.<key>...]" (with numeric segments indexing arrays). The
// boolean is false when nothing is there.
func (e *Event) Lookup(path string) (string, bool) {
	head, rest, _ := strings.Cut(path, ".")
	switch head {
	case "id":
		return e.ID, rest == ""
	case "type":
		return e.Type, rest == ""
	case "source":
		return e.Source, rest == ""
	case "occurred_at":
		return e.OccurredAt.Format(time.RFC3339), rest == ""
	case "contact":
		named := map[string]string{"phone": e.Contact.Phone, "name": e.Contact.Name, "locale": e.Contact.Locale, "email": e.Contact.Email, "external_id": e.Contact.ExternalID}
		first, more, _ := strings.Cut(rest, ".")
		if v, ok := named[first]; ok && more == "" {
			return v, v != ""
		}
		return walk(e.Contact.Attributes, strings.TrimPrefix(rest, "attributes."))
	case "data":
		return walk(e.Data, rest)
	}
	return "", false
}

func walk(m map[string]any, path string) (string, bool) {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return "", false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return "", false
			}
			cur = c[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case nil:
		return "", false
	case string:
		return v, v != ""
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}
