package webhook

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/golden"
)

const testSecret = "test-secret-0123456789"

// now is the fixed time of receipt of every fixture.
var now = time.Date(2026, 11, 20, 10, 0, 30, 0, time.UTC)

// testConfig maps the order fixture: type, id, contact and data by path,
// with a timestamp header against replays.
var testConfig = sdk.Config{
	keySecret:          testSecret,
	keySignatureHeader: "X-Signature",
	keySignaturePrefix: "sha256=",
	keyTimestampHeader: "X-Timestamp",
	keyTimestampSep:    ".",
	keySource:          "shop",
	keyTypePath:        "event",
	keyIDPath:          "order.id",
	keyDeliveryHeader:  "X-Delivery-Id",
	keyOccurredAtPath:  "created_at",
	keyPhonePath:       "customer.phone",
	keyNamePath:        "customer.name",
	keyEmailPath:       "customer.email",
}

func readFixture(t testing.TB, name string) []byte { return golden.Read(t, name) }

// signed returns a request for body signed with secret at ts.
func signed(body []byte, secret string, ts time.Time) sdk.WebhookRequest {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := sdk.SignHMACSHA256([]byte(secret), append([]byte(stamp+"."), body...))
	h := http.Header{}
	h.Set("X-Signature", "sha256="+hex.EncodeToString(sig))
	h.Set("X-Timestamp", stamp)
	h.Set("X-Delivery-Id", "dlv-1")
	h.Set("Content-Type", "application/json")
	return sdk.WebhookRequest{Method: "POST", Path: "/", Header: h, Body: body, ReceivedAt: now}
}

func features(t testing.TB) connectortest.Features {
	order := readFixture(t, "order.json")
	sent := now.Add(-30 * time.Second)
	return connectortest.Features{
		Webhooks:         true,
		Config:           testConfig,
		ValidWebhook:     func() sdk.WebhookRequest { return signed(order, testSecret, sent) },
		ForgedWebhook:    func() sdk.WebhookRequest { return signed(order, "not-the-secret", sent) },
		MalformedWebhook: func() sdk.WebhookRequest { return signed(order[:len(order)/2], testSecret, sent) },
		MoreForged: map[string]func() sdk.WebhookRequest{
			"replayed an hour later": func() sdk.WebhookRequest { return signed(order, testSecret, now.Add(-time.Hour)) },
			"no signature": func() sdk.WebhookRequest {
				r := signed(order, testSecret, sent)
				r.Header.Del("X-Signature")
				return r
			},
			"body changed after signing": func() sdk.WebhookRequest {
				r := signed(order, testSecret, sent)
				r.Body = append([]byte(nil), r.Body...)
				r.Body[len(r.Body)-3] = ' '
				return r
			},
		},
		MoreMalformed: map[string]func() sdk.WebhookRequest{
			"array body":    func() sdk.WebhookRequest { return signed([]byte(`[{"event":"x"}]`), testSecret, sent) },
			"no id at path": func() sdk.WebhookRequest { return signed([]byte(`{"event":"x","order":{}}`), testSecret, sent) },
		},
	}
}

func newConnector(*testing.T) sdk.Connector { return New() }

func TestConformance(t *testing.T) {
	connectortest.Run(t, features(t), newConnector)
}

func TestConformanceGRPC(t *testing.T) {
	connectortest.RunGRPC(t, features(t), newConnector)
}

func configured(t *testing.T, cfg sdk.Config) *Connector {
	t.Helper()
	c := New()
	values, err := c.Spec().ParseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Configure(t.Context(), values); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGolden checks the whole event the order fixture turns into.
func TestGolden(t *testing.T) {
	c := configured(t, testConfig)
	res, err := c.HandleWebhook(t.Context(), features(t).ValidWebhook())
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "order.result", res)
}

// TestSignatureSchemes checks each supported way of signing.
func TestSignatureSchemes(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_1","phone":"+5511987654321"}`)
	mac := sdk.SignHMACSHA256([]byte(testSecret), body)
	rotated := sdk.SignHMACSHA256([]byte("old-secret"), body)
	zendeskTS := "2026-11-20T10:00:00Z"
	zendeskMac := sdk.SignHMACSHA256([]byte(testSecret), append([]byte(zendeskTS), body...))
	base := sdk.Config{keySecret: testSecret, keyIDPath: "id", keyPhonePath: "phone"}
	with := func(kv ...string) sdk.Config {
		c := sdk.Config{}
		for k, v := range base {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	tests := []struct {
		name    string
		cfg     sdk.Config
		headers map[string]string
		wantErr error
	}{
		{"hex in the default header", base, map[string]string{"X-Signature": hex.EncodeToString(mac)}, nil},
		{"uppercase hex", base, map[string]string{"X-Signature": "ABCDEF"}, sdk.ErrUnauthorized},
		{"base64 with a prefix (GitHub-like)", with(keySignatureEnc, "base64", keySignatureHeader, "X-Hub-Signature-256", keySignaturePrefix, "sha256="),
			map[string]string{"X-Hub-Signature-256": "sha256=" + base64.StdEncoding.EncodeToString(mac)}, nil},
		{"prefix missing", with(keySignaturePrefix, "sha256="), map[string]string{"X-Signature": hex.EncodeToString(mac)}, sdk.ErrUnauthorized},
		{"previous secret during rotation", with(keyPreviousSecret, "old-secret"), map[string]string{"X-Signature": hex.EncodeToString(rotated)}, nil},
		{"previous secret not configured", base, map[string]string{"X-Signature": hex.EncodeToString(rotated)}, sdk.ErrUnauthorized},
		{"Zendesk-like rfc3339 timestamp, no separator", with(keyTimestampHeader, "X-Ts", keyTimestampFormat, "rfc3339", keySignatureEnc, "base64"),
			map[string]string{"X-Ts": zendeskTS, "X-Signature": base64.StdEncoding.EncodeToString(zendeskMac)}, nil},
		{"timestamp header missing", with(keyTimestampHeader, "X-Ts", keyTimestampFormat, "rfc3339"),
			map[string]string{"X-Signature": hex.EncodeToString(zendeskMac)}, sdk.ErrUnauthorized},
		{"timestamp outside a 10s tolerance", with(keyTimestampHeader, "X-Ts", keyTimestampFormat, "rfc3339", keySignatureEnc, "base64", keyTolerance, "10s"),
			map[string]string{"X-Ts": zendeskTS, "X-Signature": base64.StdEncoding.EncodeToString(zendeskMac)}, sdk.ErrUnauthorized},
		{"not hex", base, map[string]string{"X-Signature": "zz"}, sdk.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := configured(t, tt.cfg)
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			res, err := c.HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Header: h, Body: body, ReceivedAt: now})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && (len(res.Events) != 1 || res.Events[0].ID != "evt_1") {
				t.Errorf("events = %+v, want one with id evt_1", res.Events)
			}
		})
	}
}

// TestMapping checks the config-defined mapping, including skips.
func TestMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       sdk.Config
		body      string
		want      sdk.WebhookResult
		wantBad   bool
		checkOnly func(t *testing.T, res sdk.WebhookResult)
	}{
		{
			name: "fixed type, hashed id, whole body as data",
			cfg:  sdk.Config{},
			body: `{"a":1}`,
			want: sdk.WebhookResult{
				DedupeKey: "webhook:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
				Events: []sdk.Event{{Type: "webhook.received", Source: "webhook", ID: "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
					OccurredAt: now, Data: map[string]any{"a": json.Number("1")}}},
			},
		},
		{
			name: "type from a path, data from a sub-object, numeric id",
			cfg:  sdk.Config{keyTypePath: "meta.kind", keyIDPath: "items.0.id", keyDataPath: "items.0"},
			body: `{"meta":{"kind":"ticket.created"},"items":[{"id":12345678901234567890,"x":"y"}]}`,
			want: sdk.WebhookResult{
				DedupeKey: "webhook:12345678901234567890",
				Events: []sdk.Event{{Type: "ticket.created", Source: "webhook", ID: "12345678901234567890", OccurredAt: now,
					Data: map[string]any{"id": json.Number("12345678901234567890"), "x": "y"}}},
			},
		},
		{
			name: "national phone read in the default region",
			cfg:  sdk.Config{keyIDPath: "id", keyPhonePath: "phone", keyDefaultRegion: "br"},
			body: `{"id":"1","phone":"(11) 98765-4321"}`,
			want: sdk.WebhookResult{
				DedupeKey: "webhook:1",
				Events: []sdk.Event{{Type: "webhook.received", Source: "webhook", ID: "1", OccurredAt: now,
					Contact: sdk.Contact{Phone: "+5511987654321"}, Data: map[string]any{"id": "1", "phone": "(11) 98765-4321"}}},
			},
		},
		{
			name: "unreadable phone skips with a reason (Shopify's own sample)",
			cfg:  sdk.Config{keyIDPath: "id", keyPhonePath: "phone"},
			body: `{"id":"2","phone":"555-555-SHIP"}`,
			want: sdk.WebhookResult{
				DedupeKey: "webhook:2",
				Skipped:   []sdk.Skip{{ID: "2", Reason: `phone "555-555-SHIP": contains letters`}},
			},
		},
		{name: "type path missing", cfg: sdk.Config{keyTypePath: "kind"}, body: `{"a":1}`, wantBad: true},
		{name: "id path is an object", cfg: sdk.Config{keyIDPath: "a"}, body: `{"a":{}}`, wantBad: true},
		{name: "data path not an object", cfg: sdk.Config{keyDataPath: "a"}, body: `{"a":[1]}`, wantBad: true},
		{name: "trailing data", cfg: sdk.Config{}, body: `{"a":1} {}`, wantBad: true},
		{name: "bad occurred_at", cfg: sdk.Config{keyOccurredAtPath: "t"}, body: `{"t":"yesterday"}`, wantBad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := sdk.Config{keySecret: testSecret}
			for k, v := range tt.cfg {
				cfg[k] = v
			}
			c := configured(t, cfg)
			body := []byte(tt.body)
			h := http.Header{"X-Signature": {hex.EncodeToString(sdk.SignHMACSHA256([]byte(testSecret), body))}}
			res, err := c.HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Header: h, Body: body, ReceivedAt: now})
			if tt.wantBad {
				if !errors.Is(err, sdk.ErrBadRequest) {
					t.Fatalf("err = %v, want sdk.ErrBadRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigErrors checks that every config problem is reported at once,
// naming its field.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	err := New().Configure(t.Context(), sdk.Config{keySecret: "s", keySignatureEnc: "rot13", keyTolerance: "forever",
		keyTimestampFormat: "iso", keyDefaultRegion: "XX", keyIDPath: "a..b"})
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *sdk.ConfigError
		if errors.As(e, &ce) {
			fields = append(fields, ce.Field)
		}
	}
	want := []string{keySignatureEnc, keyTimestampFormat, keyTolerance, keyDefaultRegion, keyIDPath}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields named (-want +got):\n%s\nerror: %v", diff, err)
	}
}
