package shopify

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk/connectortest"
)

// FuzzHandleWebhook: a correctly signed delivery of any topic, body and
// X-Shopify-Triggered-At (headers are not signed) never panics; it fails only with sdk.ErrBadRequest; what it maps keeps
// the sdk.Event contract (type, source and id set, the phone in E.164 or
// empty, JSON-encodable data); and the same delivery again maps to the same
// events, since Shopify retries deliveries.
func FuzzHandleWebhook(f *testing.F) {
	const triggeredAt = "2026-05-01T14:59:58.123Z" // as signedDelivery sets it
	for _, s := range []struct{ topic, file string }{
		{"orders/create", "orders_create_sample.json"},
		{"orders/create", "orders_create.json"},
		{"orders/paid", "orders_paid.json"},
		{"orders/fulfilled", "orders_fulfilled.json"},
		{"orders/fulfilled", "orders_fulfilled_no_tracking.json"},
		{"fulfillments/create", "fulfillments_create_sample.json"},
		{"fulfillments/update", "fulfillments_update.json"},
		{"checkouts/create", "checkouts_create.json"},
		{"checkouts/update", "checkouts_update_completed.json"},
		{"checkouts/delete", "checkouts_create.json"},
		{"customers_marketing_consent/update", "consent_sms.json"},
		{"customers_marketing_consent/update", "consent_whatsapp.json"},
		{"customers_marketing_consent/update", "consent_sample.json"},
		{"orders/cancelled", "orders_create.json"},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.topic, triggeredAt, b)
	}
	f.Add("orders/create", "", []byte(`{"id":1,"phone":"+5511987654321"}`))
	f.Add("orders/create", "2026-05-01T14:59:58Z", []byte(`{"id":"1","customer":{"phone":"(650) 555-1234"},"billing_address":{"country_code":"US"}}`))
	f.Add("checkouts/update", "yesterday", []byte(`{"token":"t","phone":"+16505551234","updated_at":"not a time"}`))
	f.Add("fulfillments/create", "", []byte(`{"id":1e400}`))

	c := New()
	c.now = func() time.Time { return testNow }
	if err := c.Configure(context.Background(), testConfig()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic, triggeredAt string, body []byte) {
		req := signedDelivery(topic, "1", body, testSecret)
		req.Header.Set(headerTriggeredAt, triggeredAt)
		connectortest.CheckFuzzedWebhook(t, c, req, false)
	})
}
