package sdk

import "time"

// Event is Parley's canonical event. Its JSON encoding is the hub's
// (type, source, id, occurred_at, contact, data). Type, Source and ID are
// required; together Source and ID identify the event, so the same item
// delivered twice must produce the same ID.
type Event struct {
	// Type names what happened, such as "order.created".
	Type string `json:"type"`
	// Source names the system it happened in, usually Spec.Name.
	Source string `json:"source"`
	// ID is the event's id in its source system.
	ID string `json:"id"`
	// OccurredAt is when it happened; the zero time lets the hub use the
	// time it received the event.
	OccurredAt time.Time `json:"occurred_at"`
	// Contact is the person the event concerns.
	Contact Contact `json:"contact"`
	// Data is the event's payload as JSON-encodable values; flows read it
	// by path ("data.order_number").
	Data map[string]any `json:"data,omitempty"`
}

// Contact is the person an event concerns. Phone should be E.164 ("+" and
// country code); the hub refuses a number it cannot read rather than guess, so
// a connector that cannot tell the country reports the item in
// WebhookResult.Skipped instead of guessing.
type Contact struct {
	Phone      string         `json:"phone,omitempty"`
	Name       string         `json:"name,omitempty"`
	Locale     string         `json:"locale,omitempty"`
	Email      string         `json:"email,omitempty"`
	ExternalID string         `json:"external_id,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}
