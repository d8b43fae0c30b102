package shopify

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
)

const (
	testSecret = "shpss_test_current_secret"
	testPrev   = "shpss_test_previous_secret"
	testShop   = "parley-demo.myshopify.com"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)

func testConfig() sdk.Config {
	return sdk.Config{keyClientSecret: testSecret, keyDefaultRegion: "US", keyAbandonedAfter: "1h"}
}

// newTestConnector returns a configured connector on a settable clock.
func newTestConnector(t *testing.T, cfg sdk.Config) (*Connector, *time.Time) {
	t.Helper()
	now := testNow
	c := New()
	c.now = func() time.Time { return now }
	if err := c.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return c, &now
}

// signedDelivery is a delivery of body for topic, signed with secret, with
// the headers Shopify sends.
func signedDelivery(topic, id string, body []byte, secret string) sdk.WebhookRequest {
	h := http.Header{}
	h.Set(headerTopic, topic)
	h.Set(headerShopDomain, testShop)
	h.Set(headerAPIVersion, "2026-07")
	h.Set(headerWebhookID, "wh-"+id)
	h.Set(headerEventID, "ev-"+id)
	h.Set(headerTriggeredAt, "2026-05-01T14:59:58.123Z")
	if secret != "" {
		h.Set(headerHMAC, Sign(secret, body))
	}
	return sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Header: h, Body: body, ReceivedAt: testNow}
}
