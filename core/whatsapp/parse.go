package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// WebhookObject is the "object" of every WhatsApp webhook body.
const WebhookObject = "whatsapp_business_account"

// Change fields that Parse decodes; others are kept raw in Notification.Other.
const (
	FieldMessages                    = "messages"
	FieldMessageTemplateStatusUpdate = "message_template_status_update"
)

// Notification is one webhook body, flattened into the items the pipeline
// handles, each with the account and number it concerns. Items keep the
// order of the body.
type Notification struct {
	// Inbound holds the messages customers sent (value.messages[]).
	Inbound []InboundItem
	// Statuses holds the status updates of outbound messages (value.statuses[]).
	Statuses []StatusItem
	// TemplateUpdates holds message_template_status_update changes, with
	// WABAID and Time set from their entry.
	TemplateUpdates []TemplateStatusUpdate
	// Errors holds account- or app-level errors (value.errors[] of a
	// messages change). Errors of one message are on its item instead.
	Errors []ErrorItem
	// Other holds changes of fields Parse does not decode (account_update,
	// phone_number_quality_update, group_*, …), raw. They are not errors;
	// len(Other) counts them.
	Other []OtherChange
}

// InboundItem is one inbound message.
type InboundItem struct {
	WABAID             string
	PhoneNumberID      string
	DisplayPhoneNumber string
	Message            InboundMessage
	// Contact is the sender's entry of value.contacts (profile name,
	// wa_id, user_id), or nil (system messages have none).
	Contact *Contact
	// Timestamp is Message.Timestamp parsed.
	Timestamp time.Time
}

// Sender identifies the customer: the wa_id in Message.From, or, for users
// known only by a business-scoped user id (2026), Message.FromUserID.
func (it InboundItem) Sender() string {
	if it.Message.From != "" {
		return it.Message.From
	}
	return it.Message.FromUserID
}

// StatusItem is one status update of an outbound message.
type StatusItem struct {
	WABAID             string
	PhoneNumberID      string
	DisplayPhoneNumber string
	// Status is the webhook's object; its Errors explain a failed status.
	Status Status
	// Timestamp is Status.Timestamp parsed; order statuses by it, not by
	// arrival.
	Timestamp time.Time
	// State is Status.Status mapped by StateFromStatus; "" for a value Parley
	// does not know.
	State MessageState
	// Contact is the recipient's entry of value.contacts when the body has
	// one (2026 business-scoped ids); usually nil.
	Contact *Contact
}

// ErrorItem is one value.errors[] entry.
type ErrorItem struct {
	WABAID        string
	PhoneNumberID string
	Error         WebhookError
}

// OtherChange is a change Parse does not decode.
type OtherChange struct {
	WABAID string
	Field  string
	Time   time.Time
	Value  json.RawMessage
}

// Parse decodes a webhook body (the raw bytes a Sink accepted). Unknown
// change fields, unknown keys and unknown message or status types are not
// errors. It returns a *ParseError, naming the JSON path, when the body is
// not JSON, its object is not "whatsapp_business_account", a value has the
// wrong JSON type, a message or status lacks its id (or a phone number
// id), or a timestamp is not Unix seconds. Such a body never parses: dead-
// letter it.
func Parse(raw []byte) (*Notification, error) {
	var p WebhookPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, locatePayload(raw, err)
	}
	if p.Object != WebhookObject {
		return nil, &ParseError{Field: "object", Value: p.Object, Err: ErrWrongObject}
	}
	n := &Notification{}
	for i, e := range p.Entry {
		var entryTime time.Time
		if e.Time != 0 {
			entryTime = time.Unix(e.Time, 0).UTC()
		}
		for j, c := range e.Changes {
			path := fmt.Sprintf("entry[%d].changes[%d].value", i, j)
			var err error
			if len(c.Value) == 0 && (c.Field == FieldMessages || c.Field == FieldMessageTemplateStatusUpdate) {
				return nil, &ParseError{Field: path, Err: ErrRequired}
			}
			switch c.Field {
			case FieldMessages:
				err = n.addMessages(path, e.ID, c.Value)
			case FieldMessageTemplateStatusUpdate:
				var u TemplateStatusUpdate
				if err = json.Unmarshal(c.Value, &u); err != nil {
					err = pathError(path, c.Value, err)
				} else {
					u.WABAID, u.Time = e.ID, entryTime
					n.TemplateUpdates = append(n.TemplateUpdates, u)
				}
			default:
				n.Other = append(n.Other, OtherChange{WABAID: e.ID, Field: c.Field, Time: entryTime, Value: c.Value})
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return n, nil
}

func (n *Notification) addMessages(path, wabaID string, raw json.RawMessage) error {
	var v MessagesValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return locateValue(path, raw, err)
	}
	if len(v.Messages)+len(v.Statuses) > 0 && v.Metadata.PhoneNumberID == "" {
		return &ParseError{Field: path + ".metadata.phone_number_id", Err: ErrRequired}
	}
	for k, m := range v.Messages {
		mp := fmt.Sprintf("%s.messages[%d]", path, k)
		if m.ID == "" {
			return &ParseError{Field: mp + ".id", Err: ErrRequired}
		}
		ts, err := parseUnix(mp+".timestamp", m.Timestamp)
		if err != nil {
			return err
		}
		n.Inbound = append(n.Inbound, InboundItem{
			WABAID:             wabaID,
			PhoneNumberID:      v.Metadata.PhoneNumberID,
			DisplayPhoneNumber: v.Metadata.DisplayPhoneNumber,
			Message:            m,
			Contact:            senderContact(v.Contacts, m),
			Timestamp:          ts,
		})
	}
	for k, s := range v.Statuses {
		sp := fmt.Sprintf("%s.statuses[%d]", path, k)
		if s.ID == "" {
			return &ParseError{Field: sp + ".id", Err: ErrRequired}
		}
		if s.Status == "" {
			return &ParseError{Field: sp + ".status", Err: ErrRequired}
		}
		ts, err := parseUnix(sp+".timestamp", s.Timestamp)
		if err != nil {
			return err
		}
		state, _ := StateFromStatus(s.Status)
		n.Statuses = append(n.Statuses, StatusItem{
			WABAID:             wabaID,
			PhoneNumberID:      v.Metadata.PhoneNumberID,
			DisplayPhoneNumber: v.Metadata.DisplayPhoneNumber,
			Status:             s,
			Timestamp:          ts,
			State:              state,
			Contact:            findContact(v.Contacts, s.RecipientID, s.RecipientUserID),
		})
	}
	for _, e := range v.Errors {
		n.Errors = append(n.Errors, ErrorItem{WABAID: wabaID, PhoneNumberID: v.Metadata.PhoneNumberID, Error: e})
	}
	return nil
}

func parseUnix(field, s string) (time.Time, error) {
	sec, err := UnixString(s)
	if err != nil {
		return time.Time{}, &ParseError{Field: field, Value: s, Err: ErrNotUnixSeconds}
	}
	return time.Unix(sec, 0).UTC(), nil
}

// senderContact finds the contact of an inbound message's sender: by wa_id
// or business-scoped user id, or the only contact when the message names
// neither.
func senderContact(contacts []Contact, m InboundMessage) *Contact {
	if c := findContact(contacts, m.From, m.FromUserID); c != nil {
		return c
	}
	if len(contacts) == 1 && m.From == "" && m.FromUserID == "" {
		c := contacts[0]
		return &c
	}
	return nil
}

func findContact(contacts []Contact, waID, userID string) *Contact {
	for _, c := range contacts {
		if (waID != "" && c.WaID == waID) || (userID != "" && c.UserID == userID) {
			return &c
		}
	}
	return nil
}

// locatePayload re-decodes a body that failed to decode, piece by piece, to
// name the path of the first problem.
func locatePayload(raw []byte, err error) *ParseError {
	var top map[string]json.RawMessage
	if e := json.Unmarshal(raw, &top); e != nil {
		return pathError("body", raw, e)
	}
	var object string
	if pe := decodeAt("object", top["object"], &object); pe != nil {
		return pe
	}
	var entries []json.RawMessage
	if pe := decodeAt("entry", top["entry"], &entries); pe != nil {
		return pe
	}
	for i, en := range entries {
		ep := fmt.Sprintf("entry[%d]", i)
		var e map[string]json.RawMessage
		if pe := decodeAt(ep, en, &e); pe != nil {
			return pe
		}
		var (
			id      string
			tm      int64
			changes []json.RawMessage
		)
		if pe := decodeAt(ep+".id", e["id"], &id); pe != nil {
			return pe
		}
		if pe := decodeAt(ep+".time", e["time"], &tm); pe != nil {
			return pe
		}
		if pe := decodeAt(ep+".changes", e["changes"], &changes); pe != nil {
			return pe
		}
		for j, ch := range changes {
			var c Change
			if pe := decodeAt(fmt.Sprintf("%s.changes[%d]", ep, j), ch, &c); pe != nil {
				return pe
			}
		}
	}
	return pathError("body", raw, err)
}

// locateValue does the same for a messages value.
func locateValue(path string, raw json.RawMessage, err error) *ParseError {
	var m map[string]json.RawMessage
	if e := json.Unmarshal(raw, &m); e != nil {
		return pathError(path, raw, e)
	}
	var (
		product  string
		metadata Metadata
	)
	if pe := decodeAt(path+".messaging_product", m["messaging_product"], &product); pe != nil {
		return pe
	}
	if pe := decodeAt(path+".metadata", m["metadata"], &metadata); pe != nil {
		return pe
	}
	lists := []struct {
		key  string
		item func() any
	}{
		{"contacts", func() any { return new(Contact) }},
		{"messages", func() any { return new(InboundMessage) }},
		{"statuses", func() any { return new(Status) }},
		{"errors", func() any { return new(WebhookError) }},
	}
	for _, l := range lists {
		var items []json.RawMessage
		if pe := decodeAt(path+"."+l.key, m[l.key], &items); pe != nil {
			return pe
		}
		for k, it := range items {
			if pe := decodeAt(fmt.Sprintf("%s.%s[%d]", path, l.key, k), it, l.item()); pe != nil {
				return pe
			}
		}
	}
	return pathError(path, raw, err)
}

// decodeAt decodes data (absent is fine) into v, naming path on failure.
func decodeAt(path string, data json.RawMessage, v any) *ParseError {
	if data == nil {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return pathError(path, data, err)
	}
	return nil
}

// pathError turns a json error met while decoding data at path into a
// *ParseError naming the deepest path known.
func pathError(path string, data []byte, err error) *ParseError {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := path
		if te.Field != "" {
			field = path + "." + te.Field
		}
		var value any
		if v := rawAt(data, te.Field); v != nil {
			value = v
		}
		return &ParseError{Field: field, Value: value, Err: fmt.Errorf("is %s, want %s", jsonKind(te.Value), goKind(te.Type))}
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return &ParseError{Field: path, Err: fmt.Errorf("is not valid JSON (offset %d): %w", se.Offset, err)}
	}
	return &ParseError{Field: path, Err: err}
}

// rawAt returns the raw JSON at a dotted object path inside data, or nil.
func rawAt(data []byte, dotted string) json.RawMessage {
	cur := json.RawMessage(data)
	if dotted == "" {
		return cur
	}
	for key := range strings.SplitSeq(dotted, ".") {
		var m map[string]json.RawMessage
		if json.Unmarshal(cur, &m) != nil {
			return nil
		}
		next, ok := m[key]
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

func jsonKind(desc string) string {
	kind, _, _ := strings.Cut(desc, " ") // "number -5" → "number"
	switch kind {
	case "bool":
		return "a boolean"
	case "array", "object":
		return "an " + kind
	case "":
		return "a value"
	}
	return "a " + kind
}

func goKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}
