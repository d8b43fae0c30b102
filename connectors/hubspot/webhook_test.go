package hubspot

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/golden"
)

func TestWebhookGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"webhook_docs_example", "webhook_batch"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newTestConnector(t, testConfig(newFake(t)))
			res, err := c.HandleWebhook(t.Context(), signedRequest(golden.Read(t, name+".json"), testSecret, testWebhookURL, testNow.Add(-time.Second)))
			if err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			golden.JSON(t, name, res)
		})
	}
}

// TestContactLookups checks that each contact of a batch is read once,
// with the properties the connector needs.
func TestContactLookups(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := newTestConnector(t, testConfig(f))
	if _, err := c.HandleWebhook(t.Context(), signedRequest(golden.Read(t, "webhook_batch.json"), testSecret, testWebhookURL, testNow)); err != nil {
		t.Fatal(err)
	}
	got := f.Requests()
	slices.Sort(got)
	want := []string{
		"GET /crm/v3/objects/contacts/1246965",
		"GET /crm/v3/objects/contacts/1246998",
		"GET /crm/v3/objects/contacts/1247001",
		"GET /crm/v3/objects/contacts/1247002",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests %v, want %v (deals and unmapped types are not read; a contact twice in a batch is read once)", got, want)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	body := golden.Read(t, "webhook_docs_example.json")
	withQuery := testConfig(f)
	withQuery[keyWebhookURL] = testWebhookURL + "?tenant=a%3Ab"
	cases := []struct {
		name    string
		cfg     sdk.Config
		req     func() sdk.WebhookRequest
		wantErr error
	}{
		{"valid", nil, func() sdk.WebhookRequest { return signedRequest(body, testSecret, testWebhookURL, testNow) }, nil},
		{"4m59s old", nil, func() sdk.WebhookRequest {
			return signedRequest(body, testSecret, testWebhookURL, testNow.Add(-5*time.Minute+time.Second))
		}, nil},
		{"6 minutes old (replay)", nil, func() sdk.WebhookRequest {
			return signedRequest(body, testSecret, testWebhookURL, testNow.Add(-6*time.Minute))
		}, sdk.ErrUnauthorized},
		{"6 minutes in the future", nil, func() sdk.WebhookRequest {
			return signedRequest(body, testSecret, testWebhookURL, testNow.Add(6*time.Minute))
		}, sdk.ErrUnauthorized},
		{"timestamp header changed", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testWebhookURL, testNow)
			r.Header.Set(headerTimestamp, "1777629620000")
			return r
		}, sdk.ErrUnauthorized},
		{"timestamp in seconds", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testWebhookURL, testNow)
			r.Header.Set(headerTimestamp, "1777629630")
			return r
		}, sdk.ErrUnauthorized},
		{"wrong secret", nil, func() sdk.WebhookRequest { return signedRequest(body, "other", testWebhookURL, testNow) }, sdk.ErrUnauthorized},
		{"no signature", nil, func() sdk.WebhookRequest { return signedRequest(body, "", testWebhookURL, testNow) }, sdk.ErrUnauthorized},
		{"other URI", nil, func() sdk.WebhookRequest {
			return signedRequest(body, testSecret, "http://10.0.0.5:8080/webhooks/hubspot", testNow)
		}, sdk.ErrUnauthorized},
		{"other method", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testWebhookURL, testNow)
			r.Method = http.MethodPut
			return r
		}, sdk.ErrUnauthorized},
		{"body changed", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testWebhookURL, testNow)
			r.Body = []byte(strings.Replace(string(body), "subscriber", "customer", 1))
			return r
		}, sdk.ErrUnauthorized},
		{"query in webhook_url, percent-decoded before signing", withQuery, func() sdk.WebhookRequest {
			return signedRequest(body, testSecret, testWebhookURL+"?tenant=a:b", testNow)
		}, nil},
		{"path and query below the mount point", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, testSecret, testWebhookURL+"/contacts?tenant=a", testNow)
			r.Path, r.RawQuery = "/contacts", "tenant=a"
			return r
		}, nil},
		{"legacy v1 signature only", nil, func() sdk.WebhookRequest {
			r := signedRequest(body, "", testWebhookURL, testNow)
			r.Header.Set("X-HubSpot-Signature", "b0d4c2f1e0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3")
			r.Header.Set("X-HubSpot-Signature-Version", "v1")
			return r
		}, sdk.ErrUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			if cfg == nil {
				cfg = testConfig(f)
			}
			c := newTestConnector(t, cfg)
			res, err := c.HandleWebhook(t.Context(), tc.req())
			if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if err != nil && len(res.Events) > 0 {
				t.Error("a refused delivery yielded events")
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, testConfig(newFake(t)))
	for name, body := range map[string]string{
		"truncated":  `[{"eventId":1,"objectId":`,
		"object":     `{"eventId":1,"objectId":2}`,
		"not JSON":   `eventId=1`,
		"wrong type": `[{"eventId":"x","objectId":2}]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.HandleWebhook(t.Context(), signedRequest([]byte(body), testSecret, testWebhookURL, testNow))
			if !errors.Is(err, sdk.ErrBadRequest) {
				t.Errorf("got %v, want sdk.ErrBadRequest", err)
			}
		})
	}
}

func TestSignedURIs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url, path, query string
		want             []string
	}{
		{"https://h/x", "", "", []string{"https://h/x"}},
		{"https://h/x", "/", "", []string{"https://h/x"}},
		{"https://h/x/", "/a", "q=1", []string{"https://h/x/", "https://h/x/a?q=1"}},
		{"https://h/x?t=1", "/", "t=1", []string{"https://h/x?t=1"}},
	}
	for _, tc := range cases {
		if got := signedURIs(tc.url, tc.path, tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("signedURIs(%q, %q, %q) = %q, want %q", tc.url, tc.path, tc.query, got, tc.want)
		}
	}
}
