package zendesk

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	testSecret = "dGVzdF9zaWduaW5nX3NlY3JldA=="
	testEmail  = "parley-bot@acme.example"
	testToken  = "test-api-token-0123456789"
)

// testNow is the fixed clock of these tests: the hub's receive time.
var testNow = time.Date(2026, 5, 2, 9, 0, 30, 0, time.UTC)

// newFake starts a fake Zendesk API with the test users.
func newFake(t *testing.T) *zendesktest.Server {
	f := zendesktest.New(t, testEmail, testToken)
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

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got, as indented JSON, with testdata/golden/<name>.json.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
