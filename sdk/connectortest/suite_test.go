package connectortest_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/connectortest"
)

// full is a small connector with every capability, to run the whole suite
// through both paths.
type full struct{ secret []byte }

func (f *full) Spec() sdk.Spec {
	return sdk.Spec{Name: "full", Version: "0.1.0", Description: "Everything, minimally.",
		Config: []sdk.Field{
			{Name: "secret", Description: "HMAC key.", Required: true, Secret: true},
			{Name: "region", Description: "Default region.", Default: "BR"},
		},
		Actions: []sdk.ActionSpec{{Name: "add_note", Description: "Adds a note.",
			Input: []sdk.Field{{Name: "body", Description: "Note text.", Required: true}}}}}
}

func (f *full) Configure(_ context.Context, cfg sdk.Config) error {
	f.secret = []byte(cfg.Get("secret"))
	return nil
}

func (f *full) HandleWebhook(_ context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	sig, _ := hex.DecodeString(req.Header.Get("X-Sig"))
	if !sdk.VerifyHMACSHA256(f.secret, req.Body, sig) {
		return sdk.WebhookResult{}, fmt.Errorf("X-Sig: %w", sdk.ErrUnauthorized)
	}
	var in struct {
		ID    json.Number `json:"id"`
		Phone string      `json:"phone"`
	}
	if err := json.Unmarshal(req.Body, &in); err != nil {
		return sdk.WebhookResult{}, fmt.Errorf("%w: %v", sdk.ErrBadRequest, err)
	}
	return sdk.WebhookResult{DedupeKey: "full:" + in.ID.String(), Events: []sdk.Event{{
		Type: "thing.happened", Source: "full", ID: in.ID.String(), OccurredAt: req.ReceivedAt,
		Contact: sdk.Contact{Phone: in.Phone}, Data: map[string]any{"id": in.ID}}}}, nil
}

func (f *full) Poll(_ context.Context, cursor string) (sdk.PollResult, error) {
	return sdk.PollResult{Cursor: cursor + "x", Wait: time.Minute,
		Events: []sdk.Event{{Type: "polled", Source: "full", ID: "p" + cursor}}}, nil
}

func (f *full) Do(_ context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	if req.Action != "add_note" {
		return sdk.ActionResult{}, fmt.Errorf("%w: unknown action %q", sdk.ErrBadRequest, req.Action)
	}
	return sdk.ActionResult{Output: map[string]any{"note_id": 7, "key": req.IdempotencyKey}}, nil
}

func (f *full) Health(context.Context) error { return nil }

func fixtures() connectortest.Features {
	sign := func(body, secret string) func() sdk.WebhookRequest {
		return func() sdk.WebhookRequest {
			sig := hex.EncodeToString(sdk.SignHMACSHA256([]byte(secret), []byte(body)))
			return sdk.WebhookRequest{Method: "POST", Header: http.Header{"X-Sig": {sig}}, Body: []byte(body),
				ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		}
	}
	valid := `{"id":12345678901234567890,"phone":"+55 11 98765-4321"}`
	return connectortest.Features{
		Webhooks: true, Polling: true, Actions: true, Health: true,
		Config:           sdk.Config{"secret": "k3y-for-tests"},
		ValidWebhook:     sign(valid, "k3y-for-tests"),
		ForgedWebhook:    sign(valid, "wrong"),
		MalformedWebhook: sign(`{"id":`, "k3y-for-tests"),
		ActionCases: []connectortest.ActionCase{{
			Request: sdk.ActionRequest{Action: "add_note", IdempotencyKey: "idem-1", Input: map[string]any{"body": "hi"}},
			Check: func(t *testing.T, res sdk.ActionResult) {
				if fmt.Sprint(res.Output["note_id"]) != "7" || res.Output["key"] != "idem-1" {
					t.Errorf("output = %v", res.Output)
				}
			},
		}},
	}
}

func newFull(*testing.T) sdk.Connector { return &full{} }

func TestSuiteInProcess(t *testing.T) { connectortest.Run(t, fixtures(), newFull) }
func TestSuiteGRPC(t *testing.T)      { connectortest.RunGRPC(t, fixtures(), newFull) }

// webhookOnly lacks polling and actions, so the Unsupported checks run.
type webhookOnly struct{ f *full }

func (w webhookOnly) Spec() sdk.Spec {
	s := w.f.Spec()
	s.Actions = nil
	return s
}
func (w webhookOnly) Configure(ctx context.Context, cfg sdk.Config) error {
	return w.f.Configure(ctx, cfg)
}
func (w webhookOnly) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	return w.f.HandleWebhook(ctx, req)
}

func TestSuiteWebhookOnly(t *testing.T) {
	f := fixtures()
	f.Polling, f.Actions, f.Health, f.ActionCases = false, false, false, nil
	newC := func(*testing.T) sdk.Connector { return webhookOnly{&full{}} }
	t.Run("in-process", func(t *testing.T) { connectortest.Run(t, f, newC) })
	t.Run("grpc", func(t *testing.T) { connectortest.RunGRPC(t, f, newC) })
}
