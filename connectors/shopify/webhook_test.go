package shopify

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/golden"
)

// TestWebhookGolden maps each sample payload and compares the result with
// its golden file.
func TestWebhookGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, topic, file string
	}{
		{"orders_create_sample", "orders/create", "orders_create_sample.json"},
		{"orders_create", "orders/create", "orders_create.json"},
		{"orders_paid", "orders/paid", "orders_paid.json"},
		{"orders_fulfilled", "orders/fulfilled", "orders_fulfilled.json"},
		{"orders_fulfilled_no_tracking", "orders/fulfilled", "orders_fulfilled_no_tracking.json"},
		{"fulfillments_create_sample", "fulfillments/create", "fulfillments_create_sample.json"},
		{"fulfillments_update", "fulfillments/update", "fulfillments_update.json"},
		{"checkouts_create", "checkouts/create", "checkouts_create.json"},
		{"checkouts_update_completed", "checkouts/update", "checkouts_update_completed.json"},
		{"checkouts_delete", "checkouts/delete", "checkouts_create.json"},
		{"consent_sms", "customers_marketing_consent/update", "consent_sms.json"},
		{"consent_whatsapp", "customers_marketing_consent/update", "consent_whatsapp.json"},
		{"consent_sample", "customers_marketing_consent/update", "consent_sample.json"},
		{"unmapped_topic", "orders/cancelled", "orders_create.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestConnector(t, testConfig())
			res, err := c.HandleWebhook(t.Context(), signedDelivery(tc.topic, "1", golden.Read(t, tc.file), testSecret))
			if err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			golden.JSON(t, tc.name, res)
		})
	}
}

// TestUglyPhones pins the contract for the phones of Shopify's own sample
// payloads: skipped with the reason, never guessed.
func TestUglyPhones(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, topic, file string
		wantInReason      []string
	}{
		{"order sample", "orders/create", "orders_create_sample.json", []string{`"555-555-SHIP"`, "contains letters", `"123-123-1234"`, "customer.default_address.phone"}},
		{"fulfillment sample", "fulfillments/create", "fulfillments_create_sample.json", []string{`destination.phone "(555)555-5555": not a valid number`}},
		{"consent sample", "customers_marketing_consent/update", "consent_sample.json", []string{"no phone number given"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestConnector(t, testConfig())
			res, err := c.HandleWebhook(t.Context(), signedDelivery(tc.topic, "1", golden.Read(t, tc.file), testSecret))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Events) != 0 || len(res.Skipped) != 1 {
				t.Fatalf("got %d events, %d skips; want 0 and 1", len(res.Events), len(res.Skipped))
			}
			for _, w := range tc.wantInReason {
				if !strings.Contains(res.Skipped[0].Reason, w) {
					t.Errorf("reason %q lacks %q", res.Skipped[0].Reason, w)
				}
			}
		})
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	body := golden.Read(t, "orders_create.json")
	rotating := testConfig()
	rotating[keyPreviousClientSecret] = testPrev
	tamper := func(r sdk.WebhookRequest) sdk.WebhookRequest {
		r.Body = append([]byte(nil), r.Body...)
		r.Body[len(r.Body)-3] = ' '
		return r
	}
	cases := []struct {
		name    string
		cfg     sdk.Config
		req     sdk.WebhookRequest
		wantErr error
	}{
		{"current secret", testConfig(), signedDelivery("orders/create", "1", body, testSecret), nil},
		{"previous secret during rotation", rotating, signedDelivery("orders/create", "1", body, testPrev), nil},
		{"current secret during rotation", rotating, signedDelivery("orders/create", "1", body, testSecret), nil},
		{"previous secret after rotation", testConfig(), signedDelivery("orders/create", "1", body, testPrev), sdk.ErrUnauthorized},
		{"other secret", testConfig(), signedDelivery("orders/create", "1", body, "shpss_attacker"), sdk.ErrUnauthorized},
		{"no signature", testConfig(), signedDelivery("orders/create", "1", body, ""), sdk.ErrUnauthorized},
		{"body changed after signing", testConfig(), tamper(signedDelivery("orders/create", "1", body, testSecret)), sdk.ErrUnauthorized},
		{"signature not base64", testConfig(), func() sdk.WebhookRequest {
			r := signedDelivery("orders/create", "1", body, testSecret)
			r.Header.Set(headerHMAC, "not*base64")
			return r
		}(), sdk.ErrUnauthorized},
		{"hex instead of base64", testConfig(), func() sdk.WebhookRequest {
			r := signedDelivery("orders/create", "1", body, testSecret)
			r.Header.Set(headerHMAC, "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90")
			return r
		}(), sdk.ErrUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestConnector(t, tc.cfg)
			res, err := c.HandleWebhook(t.Context(), tc.req)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil && len(res.Events) > 0 {
				t.Errorf("refused delivery yielded events")
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		req  sdk.WebhookRequest
	}{
		{"truncated JSON", signedDelivery("orders/create", "1", []byte(`{"id":1,"name":"#1`), testSecret)},
		{"no id", signedDelivery("orders/paid", "1", []byte(`{"name":"#1001"}`), testSecret)},
		{"array", signedDelivery("fulfillments/create", "1", []byte(`[1,2]`), testSecret)},
		{"wrong type", signedDelivery("orders/create", "1", []byte(`{"id":"not-a-number"}`), testSecret)},
		{"unmapped topic, not JSON", signedDelivery("orders/cancelled", "1", []byte(`<xml/>`), testSecret)},
		{"no topic", func() sdk.WebhookRequest {
			r := signedDelivery("orders/create", "1", []byte(`{"id":1}`), testSecret)
			r.Header.Del(headerTopic)
			return r
		}()},
		{"GET", func() sdk.WebhookRequest {
			r := signedDelivery("orders/create", "1", []byte(`{"id":1}`), testSecret)
			r.Method = http.MethodGet
			return r
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestConnector(t, testConfig())
			if _, err := c.HandleWebhook(t.Context(), tc.req); !errors.Is(err, sdk.ErrBadRequest) {
				t.Errorf("got %v, want sdk.ErrBadRequest", err)
			}
		})
	}
}

// TestIdentity checks the dedupe key and the event id fallbacks.
func TestIdentity(t *testing.T) {
	t.Parallel()
	body := golden.Read(t, "orders_create.json")
	c, _ := newTestConnector(t, testConfig())
	cases := []struct {
		name       string
		drop       []string
		wantID     string
		wantDedupe string
	}{
		{"event id", nil, testShop + "/orders/create/ev-1", testShop + "/wh-1"},
		{"no event id", []string{headerEventID}, testShop + "/orders/create/5123456789012/wh-1", testShop + "/wh-1"},
		{"no ids at all", []string{headerEventID, headerWebhookID}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := signedDelivery("orders/create", "1", body, testSecret)
			for _, h := range tc.drop {
				req.Header.Del(h)
			}
			res, err := c.HandleWebhook(t.Context(), req)
			if err != nil || len(res.Events) != 1 {
				t.Fatalf("got %v, %d events", err, len(res.Events))
			}
			id := res.Events[0].ID
			if tc.wantID == "" {
				if !strings.HasPrefix(id, testShop+"/orders/create/5123456789012/b") {
					t.Errorf("id %q: want the body-hash fallback", id)
				}
				again, _ := c.HandleWebhook(t.Context(), req)
				if again.Events[0].ID != id {
					t.Errorf("body-hash id not stable: %q then %q", id, again.Events[0].ID)
				}
			} else if id != tc.wantID {
				t.Errorf("id = %q, want %q", id, tc.wantID)
			}
			if res.DedupeKey != tc.wantDedupe {
				t.Errorf("DedupeKey = %q, want %q", res.DedupeKey, tc.wantDedupe)
			}
		})
	}
}
