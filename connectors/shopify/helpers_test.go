package shopify

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	testSecret = "shpss_test_current_secret"
	testPrev   = "shpss_test_previous_secret"
	testShop   = "parley-demo.myshopify.com"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)

func testConfig() sdk.Config {
	return sdk.Config{keyClientSecret: testSecret, keyDefaultRegion: "US", keyAbandonedAfter: "1h"}
}

// newTestConnector returns a configured connector on a settable clock.
func newTestConnector(t *testing.T, cfg sdk.Config) (*Connector, *time.Time) {
	t.Helper()
	now := testNow
	c := New()
	c.now = func() time.Time { return now }
	if err := c.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return c, &now
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedDelivery is a delivery of body for topic, signed with secret, with
// the headers Shopify sends.
func signedDelivery(topic, id string, body []byte, secret string) sdk.WebhookRequest {
	h := http.Header{}
	h.Set(headerTopic, topic)
	h.Set(headerShopDomain, testShop)
	h.Set(headerAPIVersion, "2026-07")
	h.Set(headerWebhookID, "wh-"+id)
	h.Set(headerEventID, "ev-"+id)
	h.Set(headerTriggeredAt, "2026-05-01T14:59:58.123Z")
	if secret != "" {
		h.Set(headerHMAC, Sign(secret, body))
	}
	return sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Header: h, Body: body, ReceivedAt: testNow}
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
