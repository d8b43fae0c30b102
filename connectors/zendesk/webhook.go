package zendesk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/eventdata"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
	"github.com/parley-hub/parley/sdk/rest"
)

// Source is the sdk.Event Source of every event this connector emits.
const Source = "zendesk"

// Parley event types this connector emits.
const (
	TypeTicketCreated      = "ticket.created"
	TypeTicketUpdated      = "ticket.updated"
	TypeTicketSolved       = "ticket.solved"
	TypeTicketClosed       = "ticket.closed"
	TypeTicketCommentAdded = "ticket.comment_added"
)

// eventTypePrefix starts the type of an event-subscribed webhook's envelope.
const eventTypePrefix = "zen:event-type:"

// envelope is the fixed body of a webhook subscribed to Zendesk events.
type envelope struct {
	AccountID json.Number     `json:"account_id"`
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Subject   string          `json:"subject"`
	Time      string          `json:"time"`
	Detail    ticketDetail    `json:"detail"`
	Event     json.RawMessage `json:"event"`
}

// ticketDetail is the ticket snapshot of a ticket event.
type ticketDetail struct {
	ID          flexID   `json:"id"`
	ExternalID  string   `json:"external_id"`
	Subject     string   `json:"subject"`
	Status      string   `json:"status"`
	Priority    string   `json:"priority"`
	Type        string   `json:"type"`
	RequesterID flexID   `json:"requester_id"`
	AssigneeID  flexID   `json:"assignee_id"`
	Tags        []string `json:"tags"`
	UpdatedAt   string   `json:"updated_at"`
}

// flexID is an id Zendesk writes as a string ("5158") in event payloads and
// as a number elsewhere; both are read as text.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("an id must be a string or a number, got %s", b)
	}
	*f = flexID(n.String())
	return nil
}

// change is the event part of a *_changed ticket event.
type change struct {
	Current  any `json:"current"`
	Previous any `json:"previous"`
}

// commentEvent is the event part of ticket.comment_added.
type commentEvent struct {
	Comment struct {
		ID       flexID `json:"id"`
		Body     string `json:"body"`
		IsPublic bool   `json:"is_public"`
		Author   struct {
			ID      flexID `json:"id"`
			Name    string `json:"name"`
			IsStaff bool   `json:"is_staff"`
		} `json:"author"`
	} `json:"comment"`
}

// triggerBody is the JSON a trigger or automation webhook must send; see
// the package documentation for the template.
type triggerBody struct {
	Event  string `json:"event"`
	Ticket *struct {
		ID                  string `json:"id"`
		ExternalID          string `json:"external_id"`
		Subject             string `json:"subject"`
		Status              string `json:"status"`
		Priority            string `json:"priority"`
		URL                 string `json:"url"`
		UpdatedAt           string `json:"updated_at"`
		Tags                string `json:"tags"`
		LatestPublicComment string `json:"latest_public_comment"`
	} `json:"ticket"`
	Requester struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Email  string `json:"email"`
		Phone  string `json:"phone"`
		Locale string `json:"locale"`
	} `json:"requester"`
}

var triggerEvents = map[string]bool{
	TypeTicketCreated: true, TypeTicketUpdated: true, TypeTicketSolved: true,
	TypeTicketClosed: true, TypeTicketCommentAdded: true,
}

// HandleWebhook verifies a Zendesk webhook delivery and maps it. Both kinds
// of webhook are understood: one subscribed to Zendesk ticket events (the
// fixed envelope; the requester is read from the API, as the envelope holds
// only ids), and one connected to a trigger or automation whose JSON body
// follows the template in the package documentation. A missing, stale or
// forged signature is sdk.ErrUnauthorized; a body of neither shape is
// sdk.ErrBadRequest; an API 429/5xx while reading the requester is a
// sdk.RetryableError. Non-ticket events, internal notes, the customer's
// own comments and requesters without a usable phone are skips. It is safe
// for concurrent use.
func (c *Connector) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	st, err := c.state()
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	now := req.ReceivedAt
	if now.IsZero() {
		now = c.now()
	}
	if err := verifySignature(st.cfg.secret, req.Body, req.Header, now, st.cfg.maxClockSkew, st.cfg.acceptTests); err != nil {
		if errors.As(err, &errTestDelivery{}) {
			return sdk.WebhookResult{Skipped: []sdk.Skip{{Reason: "Zendesk webhook builder test delivery (public test secret): acknowledged, not processed"}}}, nil
		}
		return sdk.WebhookResult{}, err
	}
	if req.Method != "" && req.Method != http.MethodPost && req.Method != http.MethodPut {
		return sdk.WebhookResult{}, fmt.Errorf("%w: method %s, want POST (or PUT) with a JSON body", sdk.ErrBadRequest, req.Method)
	}
	var probe struct {
		Type   string          `json:"type"`
		Ticket json.RawMessage `json:"ticket"`
	}
	if err := json.Unmarshal(req.Body, &probe); err != nil {
		return sdk.WebhookResult{}, fmt.Errorf("%w: want a JSON object: %v", sdk.ErrBadRequest, err)
	}
	switch {
	case strings.HasPrefix(probe.Type, eventTypePrefix):
		var env envelope
		dec := json.NewDecoder(bytes.NewReader(req.Body))
		dec.UseNumber()
		if err := dec.Decode(&env); err != nil {
			return sdk.WebhookResult{}, fmt.Errorf("%w: event envelope: %v", sdk.ErrBadRequest, err)
		}
		if env.ID = strings.TrimSpace(env.ID); env.ID == "" {
			return sdk.WebhookResult{}, fmt.Errorf("%w: event envelope has no id", sdk.ErrBadRequest)
		}
		return c.envelopeEvent(ctx, st, &env, now)
	case len(probe.Ticket) > 0 && string(probe.Ticket) != "null":
		var tb triggerBody
		if err := json.Unmarshal(req.Body, &tb); err != nil {
			return sdk.WebhookResult{}, fmt.Errorf("%w: trigger body: %v", sdk.ErrBadRequest, err)
		}
		return triggerEvent(st, &tb, req, now)
	default:
		return sdk.WebhookResult{}, fmt.Errorf("%w: neither a Zendesk event (\"type\": \"zen:event-type:…\") nor the trigger template (\"ticket\": {…})", sdk.ErrBadRequest)
	}
}

// envelopeEvent maps an event-subscribed delivery.
func (c *Connector) envelopeEvent(ctx context.Context, st *state, env *envelope, now time.Time) (sdk.WebhookResult, error) {
	res := sdk.WebhookResult{DedupeKey: "zendesk/" + env.AccountID.String() + "/" + env.ID}
	kind := strings.TrimPrefix(env.Type, eventTypePrefix)
	skip := func(format string, args ...any) (sdk.WebhookResult, error) {
		res.Skipped = append(res.Skipped, sdk.Skip{ID: env.ID, Reason: fmt.Sprintf(format, args...)})
		return res, nil
	}
	if !strings.HasPrefix(kind, "ticket.") {
		return skip("event type %q is not mapped to a Parley event", kind)
	}
	d := env.Detail
	if d.ID == "" {
		return sdk.WebhookResult{}, fmt.Errorf("%w: %s has no detail.id", sdk.ErrBadRequest, kind)
	}
	data := map[string]any{"ticket_id": string(d.ID), "zendesk_event": kind}
	eventdata.Put(data, "external_id", d.ExternalID)
	eventdata.Put(data, "subject", d.Subject)
	eventdata.Put(data, "status", strings.ToLower(d.Status))
	eventdata.Put(data, "priority", strings.ToLower(d.Priority))
	eventdata.Put(data, "requester_id", string(d.RequesterID))
	eventdata.Put(data, "assignee_id", string(d.AssigneeID))
	if len(d.Tags) > 0 {
		data["tags"] = eventdata.Strings(d.Tags)
	}
	typ := TypeTicketUpdated
	switch kind {
	case "ticket.created":
		typ = TypeTicketCreated
	case "ticket.comment_added":
		var ce commentEvent
		if err := json.Unmarshal(env.Event, &ce); err != nil {
			return sdk.WebhookResult{}, fmt.Errorf("%w: ticket.comment_added event: %v", sdk.ErrBadRequest, err)
		}
		cm := ce.Comment
		switch {
		case !cm.IsPublic:
			return skip("ticket %s comment %s is an internal note; not forwarded", d.ID, cm.ID)
		case !cm.Author.IsStaff || (cm.Author.ID != "" && cm.Author.ID == d.RequesterID):
			return skip("ticket %s comment %s is by the requester, not an agent; not echoed back", d.ID, cm.ID)
		}
		typ = TypeTicketCommentAdded
		data["comment_id"] = string(cm.ID)
		data["comment_body"] = cm.Body
		data["comment_public"] = true
		eventdata.Put(data, "author_id", string(cm.Author.ID))
		eventdata.Put(data, "author_name", cm.Author.Name)
	default:
		var ch change
		if len(env.Event) > 0 {
			_ = json.Unmarshal(env.Event, &ch)
		}
		data["change"] = strings.TrimPrefix(kind, "ticket.")
		if s, ok := ch.Current.(string); ok {
			data["current"] = strings.ToLower(s)
		}
		if s, ok := ch.Previous.(string); ok {
			data["previous"] = strings.ToLower(s)
		}
		if kind == "ticket.status_changed" {
			switch data["current"] {
			case "solved":
				typ = TypeTicketSolved
			case "closed":
				typ = TypeTicketClosed
			}
		}
	}
	if d.RequesterID == "" {
		return skip("ticket %s has no requester_id", d.ID)
	}
	u, err := st.api.getUser(ctx, string(d.RequesterID))
	if rest.StatusIs(err, http.StatusNotFound) {
		return skip("ticket %s requester %s not found (deleted?)", d.ID, d.RequesterID)
	}
	if err != nil {
		return sdk.WebhookResult{}, fmt.Errorf("read requester %s of ticket %s: %w", d.RequesterID, d.ID, err)
	}
	contact, err := contactOf(st.cfg.defaultRegion, u.ID.String(), u.Name, u.Email, u.Phone, u.Locale)
	if err != nil {
		return skip("ticket %s requester %s: %v", d.ID, d.RequesterID, err)
	}
	res.Events = append(res.Events, sdk.Event{
		Type: typ, Source: Source, ID: env.ID,
		OccurredAt: parseTime(env.Time, now),
		Contact:    contact,
		Data:       data,
	})
	return res, nil
}

// triggerEvent maps a trigger or automation delivery built from the
// documented template.
func triggerEvent(st *state, tb *triggerBody, req sdk.WebhookRequest, now time.Time) (sdk.WebhookResult, error) {
	t := tb.Ticket
	if strings.TrimSpace(t.ID) == "" {
		return sdk.WebhookResult{}, fmt.Errorf("%w: trigger body has no ticket.id", sdk.ErrBadRequest)
	}
	status := strings.ToLower(strings.TrimSpace(t.Status))
	typ := strings.TrimSpace(tb.Event)
	if typ == "" {
		switch status {
		case "solved":
			typ = TypeTicketSolved
		case "closed":
			typ = TypeTicketClosed
		default:
			typ = TypeTicketUpdated
		}
	}
	if !triggerEvents[typ] {
		return sdk.WebhookResult{}, fmt.Errorf("%w: trigger body event %q is not one of ticket.created, ticket.updated, ticket.solved, ticket.closed, ticket.comment_added", sdk.ErrBadRequest, typ)
	}
	// A trigger delivery has no id of its own: the ticket's update time
	// names it; without one, a hash of the body (Zendesk resends the same
	// body) keeps retries together.
	version := strings.TrimSpace(t.UpdatedAt)
	if version == "" {
		sum := sha256.Sum256(req.Body)
		version = "b" + hex.EncodeToString(sum[:8])
	}
	id := fmt.Sprintf("ticket/%s/%s/%s", t.ID, typ, version)
	res := sdk.WebhookResult{DedupeKey: "zendesk/trigger/" + id}
	r := tb.Requester
	contact, err := contactOf(st.cfg.defaultRegion, r.ID, r.Name, r.Email, r.Phone, r.Locale)
	if err != nil {
		res.Skipped = append(res.Skipped, sdk.Skip{ID: id, Reason: fmt.Sprintf("ticket %s requester: %v", t.ID, err)})
		return res, nil
	}
	data := map[string]any{"ticket_id": t.ID}
	eventdata.Put(data, "external_id", t.ExternalID)
	eventdata.Put(data, "subject", t.Subject)
	eventdata.Put(data, "status", status)
	eventdata.Put(data, "priority", strings.ToLower(t.Priority))
	eventdata.Put(data, "url", t.URL)
	eventdata.Put(data, "comment_body", t.LatestPublicComment)
	eventdata.Put(data, "requester_id", r.ID)
	if tags := strings.Fields(t.Tags); len(tags) > 0 {
		data["tags"] = eventdata.Strings(tags)
	}
	res.Events = append(res.Events, sdk.Event{
		Type: typ, Source: Source, ID: id,
		OccurredAt: parseTime(t.UpdatedAt, now),
		Contact:    contact,
		Data:       data,
	})
	return res, nil
}

// contactOf is the requester as a Parley contact. Requesters without a
// usable phone are errors, so the event is skipped: everything this
// connector emits is something Parley would tell the requester on
// WhatsApp, and Zendesk users usually have no phone.
func contactOf(region, id, name, email, phone, locale string) (sdk.Contact, error) {
	e164, err := sdkphone.Pick(region, sdkphone.Candidate{Field: "phone", Raw: phone})
	if err != nil {
		return sdk.Contact{}, err
	}
	return sdk.Contact{
		Phone: e164, Name: strings.TrimSpace(name), Email: strings.TrimSpace(email),
		Locale: strings.TrimSpace(locale), ExternalID: strings.TrimSpace(id),
	}, nil
}

// parseTime reads an RFC 3339 time, or the minute-precision ISO 8601 of
// Zendesk's *_with_timestamp placeholders ("2026-05-02T09:00Z"); else
// fallback.
func parseTime(s string, fallback time.Time) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil && eventdata.EncodableTime(t) {
			return t.UTC()
		}
	}
	return fallback.UTC()
}
