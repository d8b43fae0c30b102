package hubspot

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/golden"
)

func conformanceFeatures(t *testing.T) connectortest.Features {
	f := newFake(t)
	body := golden.Read(t, "webhook_batch.json")
	at := testNow.Add(-2 * time.Second)
	valid := func() sdk.WebhookRequest { return signedRequest(body, testSecret, testWebhookURL, at) }
	return connectortest.Features{
		Webhooks:         true,
		Actions:          true,
		Health:           true,
		Config:           testConfig(f),
		ValidWebhook:     valid,
		ForgedWebhook:    func() sdk.WebhookRequest { return signedRequest(body, "not-the-secret", testWebhookURL, at) },
		MalformedWebhook: func() sdk.WebhookRequest { return signedRequest(body[:40], testSecret, testWebhookURL, at) },
		MoreForged: map[string]func() sdk.WebhookRequest{
			"stale timestamp (replay)": func() sdk.WebhookRequest {
				return signedRequest(body, testSecret, testWebhookURL, testNow.Add(-10*time.Minute))
			},
			"no signature headers": func() sdk.WebhookRequest { return signedRequest(body, "", testWebhookURL, at) },
			"signed for another URL": func() sdk.WebhookRequest {
				return signedRequest(body, testSecret, "https://evil.example.com/hook", at)
			},
		},
		MoreMalformed: map[string]func() sdk.WebhookRequest{
			"an object, not a batch": func() sdk.WebhookRequest {
				return signedRequest([]byte(`{"eventId":1}`), testSecret, testWebhookURL, at)
			},
			"GET": func() sdk.WebhookRequest {
				r := valid()
				r.Method = http.MethodGet
				sig, ts := SignV3(testSecret, http.MethodGet, testWebhookURL, body, at)
				r.Header.Set(headerSignatureV3, sig)
				r.Header.Set(headerTimestamp, ts)
				return r
			},
		},
		// API failures while reading contacts: 429 and 5xx are retryable
		// with Retry-After, others are not.
		WebhookAPIFailures: []connectortest.APIFailure{
			{Name: "429 with Retry-After", Config: func(t *testing.T) sdk.Config {
				return testConfig(newFake(t, hubspottest.Fault{Path: "/crm/v3/objects/contacts/", Status: 429, RetryAfter: "7"}))
			}, Retryable: true, RetryAfter: 7 * time.Second},
			{Name: "503", Config: func(t *testing.T) sdk.Config {
				return testConfig(newFake(t, hubspottest.Fault{Path: "/crm/v3/objects/contacts/", Status: 503}))
			}, Retryable: true},
			{Name: "wrong token", Config: func(t *testing.T) sdk.Config {
				cfg := testConfig(newFake(t))
				cfg[keyAccessToken] = "pat-revoked"
				return cfg
			}},
		},
		ActionCases: []connectortest.ActionCase{
			{Name: "lookup found", Request: sdk.ActionRequest{Action: ActionLookupContact, IdempotencyKey: "l1", Input: map[string]any{"phone": "+5511987654321"}},
				Check: func(t *testing.T, res sdk.ActionResult) {
					if res.Output["contact_id"] != "1246965" || res.Output["found"] != true {
						t.Errorf("output %v", res.Output)
					}
				}},
			{Name: "lookup bad phone", Request: sdk.ActionRequest{Action: ActionLookupContact, IdempotencyKey: "l2", Input: map[string]any{"phone": "555-555-SHIP"}}, WantErr: sdk.ErrBadRequest},
			{Name: "add note", Request: sdk.ActionRequest{Action: ActionAddNote, IdempotencyKey: "n1", Input: map[string]any{"contact_id": "1246965", "body": "WhatsApp transcript"}},
				Check: func(t *testing.T, res sdk.ActionResult) {
					if res.Output["note_id"] == nil || res.Output["contact_id"] != "1246965" {
						t.Errorf("output %v", res.Output)
					}
				}},
			{Name: "add note unknown contact", Request: sdk.ActionRequest{Action: ActionAddNote, IdempotencyKey: "n2", Input: map[string]any{"contact_id": "404", "body": "x"}}, WantErr: sdk.ErrBadRequest},
		},
	}
}

func newConformanceConnector(t *testing.T) sdk.Connector {
	c := New()
	c.now = func() time.Time { return testNow }
	return c
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, conformanceFeatures(t), newConformanceConnector)
}

func TestConformanceGRPC(t *testing.T) {
	connectortest.RunGRPC(t, conformanceFeatures(t), newConformanceConnector)
}
