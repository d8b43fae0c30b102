package consent

import (
	"encoding/json"
	"time"

	"github.com/parley-hub/parley/core/event"
)

// EventConsentUpdated is the canonical event type connectors emit for a
// marketing consent change (the Shopify connector from
// customers_marketing_consent/update): data.channel, data.state
// (subscribed, unsubscribed, not_subscribed, pending, redacted),
// data.consent_updated_at, data.opt_in_level.
const EventConsentUpdated = "consent.updated"

// FromEvent returns the ledger record a consent.updated event carries, for
// the contact with id contactID, and false for other events and for states
// that record nothing (pending, redacted). The record's effective time is
// data.consent_updated_at when present, else the event's time; its dedupe
// key is the event id, so a replay records nothing new.
func FromEvent(ev *event.Event, eventID, contactID string) (Record, bool) {
	if ev.Type != EventConsentUpdated {
		return Record{}, false
	}
	str := func(k string) string {
		s, _ := ev.Data[k].(string)
		return s
	}
	channel := str("channel")
	if channel == "" {
		channel = ChannelWhatsApp
	}
	var status string
	switch str("state") {
	case "subscribed":
		status = OptIn
	case "unsubscribed", "not_subscribed":
		status = OptOut
	default:
		return Record{}, false
	}
	purpose := str("purpose")
	if purpose == "" {
		purpose = Marketing
	}
	evidence, _ := json.Marshal(map[string]any{"event_id": eventID, "source": ev.Source, "source_event_id": ev.ID, "data": ev.Data})
	effective := ev.OccurredAt
	if t, err := time.Parse(time.RFC3339, str("consent_updated_at")); err == nil {
		effective = t
	}
	return Record{
		ContactID: contactID, Channel: channel, Purpose: purpose, Status: status, LawfulBasis: BasisConsent,
		Source: SourceConnector, Evidence: evidence, Actor: "connector:" + ev.Source, EffectiveAt: effective.UTC(),
		DedupeKey: "event:" + eventID,
	}, true
}
