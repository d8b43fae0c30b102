package zendesk

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/golden"
)

func TestWebhookGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"event_ticket_created", "event_status_solved", "event_status_pending", "event_priority_changed",
		"event_comment_agent", "event_comment_internal", "event_comment_requester",
		"event_created_no_phone", "event_created_ugly_phone", "event_created_deleted_requester", "event_user_created",
		"trigger_solved", "trigger_no_event_no_phone",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newTestConnector(t, testConfig(newFake(t)))
			res, err := c.HandleWebhook(t.Context(), signedRequest(golden.Read(t, name+".json"), testSecret, testNow.Add(-time.Second)))
			if err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			golden.JSON(t, name, res)
		})
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	body := golden.Read(t, "event_ticket_created.json")
	tests := testConfig(f)
	tests[keyAcceptTests] = "true"
	cases := []struct {
		name     string
		cfg      sdk.Config
		req      func() sdk.WebhookRequest
		wantErr  error
		wantSkip bool // acknowledged test delivery
	}{
		{"valid", nil, func() sdk.WebhookRequest { return signedRequest(body, testSecret, testNow) }, nil, false},
		{"4 minutes old", nil, func() sdk.WebhookRequest { return signedRequest(body, testSecret, testNow.Add(-4*time.Minute)) }, nil, false},
		{"6 minutes old (replay)", nil, func() sdk.WebhookRequest { return signedRequest(body, testSecret, testNow.Add(-6*time.Minute)) }, sdk.ErrUnauthorized, false},
		{"6 minutes ahead", nil, func() sdk.WebhookRequest { return signedRequest(body, testSecret, testNow.Add(6*time.Minute)) }, sdk.ErrUnauthorized, false},
		{"wider window", func() sdk.Config { c := testConfig(f); c[keyMaxClockSkew] = "10m"; return c }(),
			func() sdk.WebhookRequest { return signedRequest(body, testSecret, testNow.Add(-6*time.Minute)) }, nil, false},
		{"wrong secret", nil, func() sdk.WebhookRequest { return signedRequest(body, "other", testNow) }, sdk.ErrUnauthorized, false},
		{"no headers", nil, func() sdk.WebhookRequest { return signedRequest(body, "", testNow) }, sdk.ErrUnauthorized, false},
		{"timestamp changed", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testNow)
			r.Header.Set(headerTimestamp, testNow.Add(time.Second).Format(time.RFC3339))
			return r
		}, sdk.ErrUnauthorized, false},
		{"timestamp not RFC 3339", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testNow)
			r.Header.Set(headerTimestamp, "1777712430")
			return r
		}, sdk.ErrUnauthorized, false},
		{"body changed", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testNow)
			r.Body = []byte(strings.Replace(string(body), "5158", "5159", 1))
			return r
		}, sdk.ErrUnauthorized, false},
		{"builder test secret, refused by default", nil, func() sdk.WebhookRequest { return signedRequest(body, testSigningSecret, testNow) }, sdk.ErrUnauthorized, false},
		{"builder test secret, acknowledged when enabled", tests, func() sdk.WebhookRequest { return signedRequest(body, testSigningSecret, testNow) }, nil, true},
		{"builder test secret, still within the window", tests, func() sdk.WebhookRequest {
			return signedRequest(body, testSigningSecret, testNow.Add(-time.Hour))
		}, sdk.ErrUnauthorized, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			if cfg == nil {
				cfg = testConfig(f)
			}
			res, err := newTestConnector(t, cfg).HandleWebhook(t.Context(), tc.req())
			if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if err != nil && len(res.Events) > 0 {
				t.Error("a refused delivery yielded events")
			}
			if tc.wantSkip && (len(res.Events) != 0 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "test delivery")) {
				t.Errorf("test delivery: got %+v, want one skip and no events", res)
			}
			if !tc.wantSkip && err == nil && len(res.Events) != 1 {
				t.Errorf("got %d events, want 1", len(res.Events))
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, testConfig(newFake(t)))
	for name, body := range map[string]string{
		"truncated":                `{"type":"zen:event-type:ticket.created","detail":{`,
		"array":                    `[{"type":"zen:event-type:ticket.created"}]`,
		"neither shape":            `{"hello":"world"}`,
		"form-encoded":             `ticket_id=5158&status=solved`,
		"envelope without id":      `{"type":"zen:event-type:ticket.created","detail":{"id":"1","requester_id":"2"}}`,
		"ticket without detail id": `{"id":"x","type":"zen:event-type:ticket.created","detail":{}}`,
		"trigger without id":       `{"event":"ticket.updated","ticket":{"status":"open"},"requester":{}}`,
		"trigger unknown event":    `{"event":"ticket.exploded","ticket":{"id":"1"},"requester":{}}`,
		"trigger ticket is a str":  `{"ticket":"5158"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.HandleWebhook(t.Context(), signedRequest([]byte(body), testSecret, testNow))
			if !errors.Is(err, sdk.ErrBadRequest) {
				t.Errorf("got %v, want sdk.ErrBadRequest", err)
			}
		})
	}
}

func TestMethod(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, testConfig(newFake(t)))
	r := signedRequest(golden.Read(t, "event_ticket_created.json"), testSecret, testNow)
	r.Method = http.MethodGet
	if _, err := c.HandleWebhook(t.Context(), r); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("GET: got %v, want sdk.ErrBadRequest", err)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	fallback := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-05-02T09:00Z":         time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC),
		"2026-05-02T09:00:01.5Z":    time.Date(2026, 5, 2, 9, 0, 1, 5e8, time.UTC),
		"2026-05-02T06:00:00-03:00": time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC),
		"May 02, 2026 09:00":        fallback,
		"":                          fallback,
	} {
		if got := parseTime(in, fallback); !got.Equal(want) {
			t.Errorf("parseTime(%q) = %s, want %s", in, got, want)
		}
	}
}
