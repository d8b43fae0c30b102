package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/eventdata"
)

// Delivery headers (https://shopify.dev/docs/apps/build/webhooks/delivery-structure).
const (
	headerTopic       = "X-Shopify-Topic"
	headerShopDomain  = "X-Shopify-Shop-Domain"
	headerWebhookID   = "X-Shopify-Webhook-Id"
	headerEventID     = "X-Shopify-Event-Id"
	headerTriggeredAt = "X-Shopify-Triggered-At"
	headerAPIVersion  = "X-Shopify-API-Version"
	headerTest        = "X-Shopify-Test"
)

// delivery is what the headers of one webhook delivery say about it.
type delivery struct {
	shop, topic, webhookID, eventID, apiVersion string
	triggeredAt                                 time.Time // zero when absent
	test                                        bool
	received                                    time.Time
	bodyHash                                    string
}

func readDelivery(req sdk.WebhookRequest, now time.Time) delivery {
	h := req.Header
	d := delivery{
		shop:       strings.ToLower(strings.TrimSpace(h.Get(headerShopDomain))),
		topic:      strings.ToLower(strings.TrimSpace(h.Get(headerTopic))),
		webhookID:  strings.TrimSpace(h.Get(headerWebhookID)),
		eventID:    strings.TrimSpace(h.Get(headerEventID)),
		apiVersion: strings.TrimSpace(h.Get(headerAPIVersion)),
		test:       strings.EqualFold(strings.TrimSpace(h.Get(headerTest)), "true"),
		received:   now.UTC(),
	}
	if t, ok := parseTime(h.Get(headerTriggeredAt)); ok {
		d.triggeredAt = t
	}
	if !req.ReceivedAt.IsZero() {
		d.received = req.ReceivedAt.UTC()
	}
	sum := sha256.Sum256(req.Body)
	d.bodyHash = hex.EncodeToString(sum[:8])
	return d
}

// dedupeKey is (shop domain, X-Shopify-Webhook-Id), the key Shopify
// recommends for a delivery; it is empty when Shopify sent no webhook id.
func (d delivery) dedupeKey() string {
	if d.webhookID == "" {
		return ""
	}
	return d.shop + "/" + d.webhookID
}

// eventID is the Parley event id for what this delivery reports about one
// resource. It is the same on every retry of the delivery: Shopify's event
// id when present (shared by every subscription to the event, so duplicate
// subscriptions collapse), else the webhook id, else a hash of the body
// (retries resend the original payload).
func (d delivery) eventIDFor(resource string) string {
	switch {
	case d.eventID != "":
		return fmt.Sprintf("%s/%s/%s", d.shop, d.topic, d.eventID)
	case d.webhookID != "":
		return fmt.Sprintf("%s/%s/%s/%s", d.shop, d.topic, resource, d.webhookID)
	default:
		return fmt.Sprintf("%s/%s/%s/b%s", d.shop, d.topic, resource, d.bodyHash)
	}
}

// occurredAt prefers X-Shopify-Triggered-At (retries resend the original
// payload, so it is the event's own time), then the resource's timestamps.
func (d delivery) occurredAt(resourceTimes ...string) time.Time {
	if !d.triggeredAt.IsZero() {
		return d.triggeredAt
	}
	return firstTime(d.received, resourceTimes...)
}

// HandleWebhook verifies a Shopify delivery and maps it to Parley events.
// The signature is checked over the raw body before anything is parsed; a
// missing or forged one returns an error wrapping sdk.ErrUnauthorized, and a
// body that is not the topic's JSON resource one wrapping sdk.ErrBadRequest.
// Topics Parley does not map, and resources without a usable phone, are
// answered 200 with a sdk.Skip that gives the reason, so Shopify does not
// retry them. It is safe for concurrent use.
func (c *Connector) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	cfg, err := c.config()
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	if err := verifySignature(req.Body, req.Header.Get(headerHMAC), cfg.secrets); err != nil {
		return sdk.WebhookResult{}, err
	}
	if req.Method != "" && req.Method != http.MethodPost {
		return sdk.WebhookResult{}, fmt.Errorf("%w: method %s, want POST", sdk.ErrBadRequest, req.Method)
	}
	d := readDelivery(req, c.now())
	if d.topic == "" {
		return sdk.WebhookResult{}, fmt.Errorf("%w: missing %s header", sdk.ErrBadRequest, headerTopic)
	}
	if d.shop == "" {
		return sdk.WebhookResult{}, fmt.Errorf("%w: missing %s header", sdk.ErrBadRequest, headerShopDomain)
	}
	res := sdk.WebhookResult{DedupeKey: d.dedupeKey()}
	m := mapper{cfg: cfg, d: d}
	switch d.topic {
	case "orders/create", "orders/paid", "orders/fulfilled":
		var o order
		if err := decode(req.Body, &o, d.topic); err != nil {
			return sdk.WebhookResult{}, err
		}
		if o.CheckoutToken != "" && d.topic == "orders/create" {
			c.carts.cancel(cartKey(d.shop, o.CheckoutToken), d.received)
		}
		m.order(&res, &o)
	case "fulfillments/create", "fulfillments/update":
		var f fulfillment
		if err := decode(req.Body, &f, d.topic); err != nil {
			return sdk.WebhookResult{}, err
		}
		m.fulfillment(&res, &f)
	case "checkouts/create", "checkouts/update", "checkouts/delete":
		var co checkout
		if err := decode(req.Body, &co, d.topic); err != nil {
			return sdk.WebhookResult{}, err
		}
		c.checkout(m, &res, &co)
	case "customers_marketing_consent/update":
		var cu consentUpdate
		if err := decode(req.Body, &cu, d.topic); err != nil {
			return sdk.WebhookResult{}, err
		}
		m.consent(&res, &cu)
	default:
		if !json.Valid(req.Body) {
			return sdk.WebhookResult{}, fmt.Errorf("%w: %s body is not JSON", sdk.ErrBadRequest, d.topic)
		}
		res.Skipped = append(res.Skipped, sdk.Skip{
			ID:     d.eventIDFor("-"),
			Reason: fmt.Sprintf("topic %q is not mapped to a Parley event", d.topic),
		})
	}
	return res, nil
}

// decode reads a resource body. Every mapped resource has an id (a
// checkout may have only a token), so a body without one is refused.
func decode(body []byte, v any, topic string) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s body: %v", sdk.ErrBadRequest, topic, err)
	}
	var id string
	switch r := v.(type) {
	case *order:
		id = r.ID.String()
	case *fulfillment:
		id = r.ID.String()
	case *checkout:
		id = eventdata.First(r.Token, r.ID.String())
	case *consentUpdate:
		id = r.ID.String()
	}
	if id == "" {
		return fmt.Errorf("%w: %s body has no id", sdk.ErrBadRequest, topic)
	}
	return nil
}
