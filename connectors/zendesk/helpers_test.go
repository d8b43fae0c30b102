package zendesk

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/sdk"
)

const (
	testSecret = "dGVzdF9zaWduaW5nX3NlY3JldA=="
	testEmail  = "parley-bot@acme.example"
	testToken  = "test-api-token-0123456789"
)

// testNow is the fixed clock of these tests: the hub's receive time.
var testNow = time.Date(2026, 5, 2, 9, 0, 30, 0, time.UTC)

// newFake starts a fake Zendesk API with the test users, answering faults first.
func newFake(t *testing.T, faults ...zendesktest.Fault) *zendesktest.Server {
	f := zendesktest.New(t, testEmail, testToken)
	f.Fail(faults...)
	f.AddUser(zendesktest.User{ID: 8447388090494, Name: "Maria Agent", Email: "maria@acme.example", Role: "agent"})
	f.AddUser(zendesktest.User{ID: 8447388090500, Name: "Ana Souza", Email: "ana.souza@example.com", Phone: "+55 11 98765-4321", Locale: "pt-BR"})
	f.AddUser(zendesktest.User{ID: 8447388090501, Name: "Web Visitor", Email: "visitor@example.com", Locale: "en-US"})
	f.AddUser(zendesktest.User{ID: 8447388090502, Name: "Steve Shipper", Phone: "+1 (555) 555-5555"})
	return f
}

func testConfig(f *zendesktest.Server) sdk.Config {
	return sdk.Config{keySigningSecret: testSecret, keySubdomain: "acme", keyEmail: testEmail, keyAPIToken: testToken,
		keyAPIBaseURL: f.URL, keyDefaultRegion: "BR", keyDefaultTags: "whatsapp"}
}

func newTestConnector(t *testing.T, cfg sdk.Config) *Connector {
	t.Helper()
	c := New()
	c.now = func() time.Time { return testNow }
	if err := c.Configure(t.Context(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return c
}

// signedRequest is a delivery signed as Zendesk would at the given time,
// received at testNow.
func signedRequest(body []byte, secret string, at time.Time) sdk.WebhookRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Zendesk Webhook")
	if secret != "" {
		sig, ts := Sign(secret, body, at)
		h.Set(headerSignature, sig)
		h.Set(headerTimestamp, ts)
	}
	return sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Header: h, Body: body, ReceivedAt: testNow}
}
