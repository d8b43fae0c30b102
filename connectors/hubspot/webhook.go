package hubspot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/eventdata"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
	"github.com/parley-hub/parley/sdk/rest"
)

// Source is the sdk.Event Source of every event this connector emits.
const Source = "hubspot"

// Parley event types this connector emits.
const (
	TypeContactCreated = "contact.created"
	TypeContactUpdated = "contact.updated"
	TypeDealUpdated    = "deal.updated"
)

// eventTypes maps HubSpot subscription types to Parley event types.
var eventTypes = map[string]string{
	"contact.creation":       TypeContactCreated,
	"contact.propertyChange": TypeContactUpdated,
	"deal.propertyChange":    TypeDealUpdated,
}

// lookupConcurrency bounds the contact reads one webhook batch makes at once
// (HubSpot allows roughly 100-190 requests per 10 s for a private app).
const lookupConcurrency = 4

// webhookEvent is one element of a webhook batch.
type webhookEvent struct {
	EventID          json.Number     `json:"eventId"`
	SubscriptionID   json.Number     `json:"subscriptionId"`
	PortalID         json.Number     `json:"portalId"`
	AppID            json.Number     `json:"appId"`
	OccurredAt       json.Number     `json:"occurredAt"`
	SubscriptionType string          `json:"subscriptionType"`
	EventType        string          `json:"eventType"` // the docs' example uses this name
	AttemptNumber    json.Number     `json:"attemptNumber"`
	ObjectID         json.Number     `json:"objectId"`
	ObjectTypeID     string          `json:"objectTypeId"`
	ChangeSource     string          `json:"changeSource"`
	ChangeFlag       string          `json:"changeFlag"`
	SourceID         string          `json:"sourceId"`
	PropertyName     string          `json:"propertyName"`
	PropertyValue    json.RawMessage `json:"propertyValue"`
}

func (e *webhookEvent) typ() string { return eventdata.First(e.SubscriptionType, e.EventType) }

// key is (portalId, subscriptionId, eventId): HubSpot's eventId alone is
// not unique, and attemptNumber is left out so retries share the key.
func (e *webhookEvent) key() string {
	return fmt.Sprintf("%s/%s/%s", e.PortalID, e.SubscriptionID, e.EventID)
}

// propertyValue is the new value as text (HubSpot sends a string).
func (e *webhookEvent) propertyValue() string {
	var s string
	if err := json.Unmarshal(e.PropertyValue, &s); err == nil {
		return s
	}
	if v := strings.TrimSpace(string(e.PropertyValue)); v != "null" {
		return v
	}
	return ""
}

// HandleWebhook verifies a HubSpot webhook batch (signature v3) and maps
// each event in it, reading the contact of every contact event from the
// CRM API (webhooks carry only ids). A missing, stale or forged signature
// is sdk.ErrUnauthorized; a body that is not a JSON array of events is
// sdk.ErrBadRequest; a 429 or 5xx from the API while reading contacts is a
// sdk.RetryableError for the whole batch (HubSpot resends it; event ids are
// stable, so what was stored is deduplicated). Unmapped subscription types,
// deleted contacts and unreadable phones are skips. It is safe for
// concurrent use.
func (c *Connector) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	st, err := c.state()
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	now := req.ReceivedAt
	if now.IsZero() {
		now = c.now()
	}
	method := eventdata.First(req.Method, http.MethodPost)
	if err := verifySignature(st.cfg.secret, method, signedURIs(st.cfg.webhookURL, req.Path, req.RawQuery), req.Body, req.Header, now); err != nil {
		return sdk.WebhookResult{}, err
	}
	if method != http.MethodPost {
		return sdk.WebhookResult{}, fmt.Errorf("%w: method %s, want POST", sdk.ErrBadRequest, method)
	}
	var batch []webhookEvent
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.UseNumber()
	if err := dec.Decode(&batch); err != nil {
		return sdk.WebhookResult{}, fmt.Errorf("%w: want a JSON array of webhook events: %v", sdk.ErrBadRequest, err)
	}

	contacts, err := c.readContacts(ctx, st, batch)
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	res := sdk.WebhookResult{DedupeKey: dedupeKey(batch)}
	for i := range batch {
		e := &batch[i]
		if e.EventID == "" || e.ObjectID == "" {
			res.Skipped = append(res.Skipped, sdk.Skip{ID: e.key(), Reason: fmt.Sprintf("event %d of the batch has no eventId or objectId", i)})
			continue
		}
		typ, ok := eventTypes[e.typ()]
		if !ok {
			res.Skipped = append(res.Skipped, sdk.Skip{ID: e.key(), Reason: fmt.Sprintf("subscription type %q is not mapped to a Parley event", e.typ())})
			continue
		}
		ev := sdk.Event{Type: typ, Source: Source, ID: e.key(), OccurredAt: occurredAt(e, now), Data: eventData(e)}
		if typ == TypeDealUpdated {
			ev.Data["deal_id"] = e.ObjectID.String()
			res.Events = append(res.Events, ev)
			continue
		}
		ev.Data["contact_id"] = e.ObjectID.String()
		lr := contacts[e.ObjectID.String()]
		if rest.StatusIs(lr.err, http.StatusNotFound) {
			res.Skipped = append(res.Skipped, sdk.Skip{ID: e.key(), Reason: fmt.Sprintf("contact %s not found in HubSpot (deleted or merged since the event)", e.ObjectID)})
			continue
		}
		contact, err := contactOf(lr.obj, st.cfg.defaultRegion)
		if err != nil {
			res.Skipped = append(res.Skipped, sdk.Skip{ID: e.key(), Reason: fmt.Sprintf("contact %s: %v", e.ObjectID, err)})
			continue
		}
		ev.Contact = contact
		res.Events = append(res.Events, ev)
	}
	return res, nil
}

type lookup struct {
	obj *crmObject
	err error
}

// readContacts reads each contact the batch mentions once, a few at a time.
// It fails on the first error that is not a 404 (a missing contact becomes a
// skip), preferring a retryable one so HubSpot's retry can succeed.
func (c *Connector) readContacts(ctx context.Context, st *state, batch []webhookEvent) (map[string]lookup, error) {
	var ids []string
	for i := range batch {
		e := &batch[i]
		if t := eventTypes[e.typ()]; (t == TypeContactCreated || t == TypeContactUpdated) && e.ObjectID != "" && !slices.Contains(ids, e.ObjectID.String()) {
			ids = append(ids, e.ObjectID.String())
		}
	}
	out := make(map[string]lookup, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, lookupConcurrency)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			obj, err := st.api.getContact(ctx, id)
			mu.Lock()
			out[id] = lookup{obj, err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	var firstErr error
	for _, id := range ids {
		err := out[id].err
		if err == nil || rest.StatusIs(err, http.StatusNotFound) {
			continue
		}
		if _, ok := sdk.IsRetryable(err); ok {
			return nil, fmt.Errorf("read contact %s: %w", id, err)
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("read contact %s: %w", id, err)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// contactOf is the Parley contact for a CRM contact. Phones are tried
// mobile first (WhatsApp lives on mobiles). A contact without any phone is
// returned without one (contact.created usually precedes the phone being
// set); one whose phones are all unreadable is an error, so the event is
// skipped with the reason rather than sent on with a guessed number.
func contactOf(obj *crmObject, region string) (sdk.Contact, error) {
	p := obj.Properties
	c := sdk.Contact{
		Name:       eventdata.FullName(p["firstname"], p["lastname"]),
		Email:      strings.TrimSpace(p["email"]),
		Locale:     strings.TrimSpace(p["hs_language"]),
		ExternalID: obj.ID,
	}
	phone, err := sdkphone.Pick(region,
		sdkphone.Candidate{Field: "mobilephone", Raw: p["mobilephone"], Region: ""},
		sdkphone.Candidate{Field: "phone", Raw: p["phone"], Region: ""},
	)
	var pe *sdkphone.Error
	switch {
	case err == nil:
		c.Phone = phone
	case errors.As(err, &pe) && len(pe.Tried) == 0:
		// No phone at all: the event is still a CRM change worth having.
	default:
		return sdk.Contact{}, err
	}
	return c, nil
}

func eventData(e *webhookEvent) map[string]any {
	d := map[string]any{"portal_id": e.PortalID.String(), "subscription_type": e.typ(), "object_id": e.ObjectID.String()}
	eventdata.Put(d, "change_source", e.ChangeSource)
	eventdata.Put(d, "change_flag", e.ChangeFlag)
	eventdata.Put(d, "source_id", e.SourceID)
	if e.PropertyName != "" {
		d["property_name"] = e.PropertyName
		d["property_value"] = e.propertyValue()
	}
	return d
}

func occurredAt(e *webhookEvent, fallback time.Time) time.Time {
	if ms, err := e.OccurredAt.Int64(); err == nil && ms > 0 {
		if t := time.UnixMilli(ms).UTC(); eventdata.EncodableTime(t) {
			return t
		}
	}
	return fallback.UTC()
}

// dedupeKey names the delivery by its events' keys, which do not change
// between HubSpot's attempts (attemptNumber is excluded).
func dedupeKey(batch []webhookEvent) string {
	if len(batch) == 0 {
		return ""
	}
	keys := make([]string, len(batch))
	for i := range batch {
		keys[i] = batch[i].key()
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return "hubspot/" + batch[0].PortalID.String() + "/" + hex.EncodeToString(sum[:12])
}

// signedURIs lists the URIs HubSpot may have signed: the configured
// webhook URL, and that URL extended with the request's path and query
// below the connector's mount point.
func signedURIs(webhookURL, path, rawQuery string) []string {
	uris := []string{webhookURL}
	base, _, _ := strings.Cut(webhookURL, "?")
	u := base
	if path != "" && path != "/" {
		u = strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
	}
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	if u != webhookURL {
		uris = append(uris, u)
	}
	return uris
}
