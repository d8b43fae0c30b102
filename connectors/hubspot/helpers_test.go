package hubspot

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	testSecret     = "5f1a0e3c-test-client-secret"
	testToken      = "pat-na1-test-token"
	testWebhookURL = "https://parley.example.com/webhooks/hubspot"
)

// testNow is the fixed clock of these tests: the hub's receive time.
var testNow = time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC)

// newFake starts a fake HubSpot API seeded with the test contacts.
func newFake(t *testing.T) *hubspottest.Server {
	f := hubspottest.New(t, testToken)
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
