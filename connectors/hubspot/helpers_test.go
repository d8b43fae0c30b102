package hubspot

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/sdk"
)

const (
	testSecret     = "5f1a0e3c-test-client-secret"
	testToken      = "pat-na1-test-token"
	testWebhookURL = "https://parley.example.com/webhooks/hubspot"
)

// testNow is the fixed clock of these tests: the hub's receive time.
var testNow = time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC)

// newFake starts a fake HubSpot API seeded with the test contacts, answering faults first.
func newFake(t *testing.T, faults ...hubspottest.Fault) *hubspottest.Server {
	f := hubspottest.New(t, testToken)
	f.Fail(faults...)
	f.AddContact("1246965", map[string]string{"firstname": "Ana", "lastname": "Souza", "email": "ana.souza@example.com", "mobilephone": "+55 11 98765-4321", "phone": "(650) 555-1234", "hs_language": "pt-br"})
	f.AddContact("1246978", map[string]string{"firstname": "Brian", "lastname": "Halligan", "email": "bh@hubspot.example"})
	f.AddContact("1247001", map[string]string{"firstname": "Steve", "lastname": "Shipper", "phone": "555-555-SHIP"})
	f.AddContact("1247002", map[string]string{"firstname": "Oliver", "email": "oliver@example.com", "phone": "(650) 555-1234"})
	return f
}

func testConfig(f *hubspottest.Server) sdk.Config {
	return sdk.Config{keyClientSecret: testSecret, keyAccessToken: testToken, keyWebhookURL: testWebhookURL, keyAPIBaseURL: f.URL, keyDefaultRegion: "US"}
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

// signedRequest is a webhook delivery signed as HubSpot would for uri at
// the given time, received at testNow.
func signedRequest(body []byte, secret, uri string, at time.Time) sdk.WebhookRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if secret != "" {
		sig, ts := SignV3(secret, http.MethodPost, uri, body, at)
		h.Set(headerSignatureV3, sig)
		h.Set(headerTimestamp, ts)
	}
	return sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Header: h, Body: body, ReceivedAt: testNow}
}
