package zendesk

import (
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/golden"
)

func conformanceFeatures(t *testing.T) connectortest.Features {
	f := newFake(t)
	f.AddTicket(zendesktest.Ticket{ID: 5158, Subject: "Damaged", RequesterID: 8447388090500})
	body := golden.Read(t, "event_comment_agent.json")
	at := testNow.Add(-2 * time.Second)
	return connectortest.Features{
		Webhooks:         true,
		Actions:          true,
		Health:           true,
		Config:           testConfig(f),
		ValidWebhook:     func() sdk.WebhookRequest { return signedRequest(body, testSecret, at) },
		ForgedWebhook:    func() sdk.WebhookRequest { return signedRequest(body, "forged-secret", at) },
		MalformedWebhook: func() sdk.WebhookRequest { return signedRequest(body[:50], testSecret, at) },
		MoreForged: map[string]func() sdk.WebhookRequest{
			"stale timestamp (replay)": func() sdk.WebhookRequest { return signedRequest(body, testSecret, testNow.Add(-time.Hour)) },
			"no signature headers":     func() sdk.WebhookRequest { return signedRequest(body, "", at) },
			"builder test secret":      func() sdk.WebhookRequest { return signedRequest(body, testSigningSecret, at) },
		},
		MoreMalformed: map[string]func() sdk.WebhookRequest{
			"neither envelope nor trigger": func() sdk.WebhookRequest { return signedRequest([]byte(`{"a":1}`), testSecret, at) },
			"trigger without ticket id": func() sdk.WebhookRequest {
				return signedRequest([]byte(`{"event":"ticket.updated","ticket":{"status":"open"}}`), testSecret, at)
			},
		},
		// API failures while reading the requester: 429 and 5xx are
		// retryable with Retry-After, others are not.
		WebhookAPIFailures: []connectortest.APIFailure{
			{Name: "429 with Retry-After", Config: func(t *testing.T) sdk.Config {
				return testConfig(newFake(t, zendesktest.Fault{Path: "/api/v2/users/", Status: 429, RetryAfter: "30"}))
			}, Retryable: true, RetryAfter: 30 * time.Second},
			{Name: "503", Config: func(t *testing.T) sdk.Config {
				return testConfig(newFake(t, zendesktest.Fault{Path: "/api/v2/users/", Status: 503}))
			}, Retryable: true},
			{Name: "wrong token", Config: func(t *testing.T) sdk.Config {
				cfg := testConfig(newFake(t))
				cfg[keyAPIToken] = "revoked"
				return cfg
			}},
		},
		ActionCases: []connectortest.ActionCase{
			{Name: "create ticket", Request: sdk.ActionRequest{Action: ActionCreateTicket, IdempotencyKey: "conf-1",
				Input: map[string]any{"subject": "WhatsApp", "comment": "transcript", "requester_phone": "+5511912345678"}},
				Check: func(t *testing.T, res sdk.ActionResult) {
					if res.Output["ticket_id"] == "" || res.Output["external_id"] != "parley:conf-1" {
						t.Errorf("output %v", res.Output)
					}
				}},
			{Name: "create ticket bad phone", Request: sdk.ActionRequest{Action: ActionCreateTicket, IdempotencyKey: "conf-2",
				Input: map[string]any{"subject": "s", "comment": "c", "requester_phone": "(555)555-SHIP"}}, WantErr: sdk.ErrBadRequest},
			{Name: "add comment", Request: sdk.ActionRequest{Action: ActionAddComment, IdempotencyKey: "conf-3",
				Input: map[string]any{"ticket_id": "5158", "body": "note"}},
				Check: func(t *testing.T, res sdk.ActionResult) {
					if res.Output["ticket_id"] != "5158" || res.Output["public"] != false {
						t.Errorf("output %v", res.Output)
					}
				}},
			{Name: "add comment unknown ticket", Request: sdk.ActionRequest{Action: ActionAddComment, IdempotencyKey: "conf-4",
				Input: map[string]any{"ticket_id": "404", "body": "note"}}, WantErr: sdk.ErrBadRequest},
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
