package connector_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/shopify"
	"github.com/parley-hub/parley/core/connector"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
	"github.com/parley-hub/parley/sdk"
)

// serve mounts c's webhook endpoint as the API does.
func serve(tb testing.TB, c *connector.Connectors) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("POST /connectors/{name}/webhook", c)
	mux.Handle("POST /connectors/{name}/webhook/{rest...}", c)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

type delivery struct {
	path   string // below /connectors/; default billing/webhook
	body   string
	secret string // signs the body; "" sends no signature
	id     string // X-Delivery-Id
}

func post(tb testing.TB, base string, d delivery) (int, map[string]any) {
	tb.Helper()
	if d.path == "" {
		d.path = "billing/webhook"
	}
	req, _ := http.NewRequest("POST", base+"/connectors/"+d.path, strings.NewReader(d.body))
	if d.secret != "" {
		req.Header.Set("X-Signature", hex.EncodeToString(sdk.SignHMACSHA256([]byte(d.secret), []byte(d.body))))
	}
	if d.id != "" {
		req.Header.Set("X-Delivery-Id", d.id)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return res.StatusCode, out
}

type inboxRow struct {
	state, path, reason string
	events, skipped     int
}

func lastInbox(tb testing.TB, db *store.DB) inboxRow {
	tb.Helper()
	var r inboxRow
	var reason sql.NullString
	err := db.Reader().QueryRow(`SELECT state, path, reason, events, skipped FROM connector_inbox ORDER BY id DESC LIMIT 1`).
		Scan(&r.state, &r.path, &reason, &r.events, &r.skipped)
	if err != nil {
		tb.Fatal(err)
	}
	r.reason = reason.String
	return r
}

func count(tb testing.TB, db *store.DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.Reader().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestWebhookScenarios: requests in; status, body and the stored outcome
// out, in order (later cases see what earlier ones stored).
func TestWebhookScenarios(t *testing.T) {
	t.Parallel()
	needBinaries(t)
	db := openStore(t)
	c := startConnectors(t, db, connector.Config{Plugins: []plugins.Config{genericPlugin("billing")}})
	srv := serve(t, c)
	const inv1 = `{"id":"inv_1","kind":"invoice.paid","phone":"+1 650 555 0101","name":"Ana"}`

	tests := []struct {
		name      string
		in        delivery
		status    int
		body      map[string]any // keys that must have these values
		row       *inboxRow      // the newest inbox row after the request; nil: none stored
		reasonHas string
		events    int // rows in events afterwards
	}{
		{"signed", delivery{body: inv1, secret: webhookSecret, id: "d1"}, 200,
			map[string]any{"status": "processed", "events": 1.0}, &inboxRow{state: "processed", path: "/", events: 1}, "", 1},
		{"redelivery of the same delivery", delivery{body: inv1, secret: webhookSecret, id: "d1"}, 200,
			map[string]any{"status": "duplicate", "duplicate_of": 1.0}, &inboxRow{state: "duplicate", path: "/"}, "redelivery of inbox #1", 1},
		{"same event in another delivery", delivery{body: inv1, secret: webhookSecret, id: "d2"}, 200,
			map[string]any{"status": "processed", "events": 0.0, "replayed": 1.0}, &inboxRow{state: "processed", path: "/"}, "", 1},
		{"forged", delivery{body: strings.Replace(inv1, "inv_1", "inv_2", 1), secret: "not-the-secret", id: "d3"}, 401,
			nil, &inboxRow{state: "rejected", path: "/"}, "signature", 1},
		{"unsigned", delivery{body: `{"id":"inv_3","kind":"x"}`, id: "d4"}, 401,
			nil, &inboxRow{state: "rejected", path: "/"}, "X-Signature", 1},
		{"malformed", delivery{body: `{"id":`, secret: webhookSecret, id: "d5"}, 400,
			nil, &inboxRow{state: "bad", path: "/"}, "bad request", 1},
		{"unreadable phone is a recorded skip", delivery{body: `{"id":"inv_4","kind":"invoice.paid","phone":"555-SHIP"}`, secret: webhookSecret, id: "d6"}, 200,
			map[string]any{"status": "processed", "events": 0.0, "skipped": 1.0}, &inboxRow{state: "processed", path: "/", skipped: 1}, "", 1},
		{"below the mount point", delivery{path: "billing/webhook/invoices/paid?x=1", body: `{"id":"inv_5","kind":"invoice.paid","phone":"+16505550105"}`, secret: webhookSecret}, 200,
			map[string]any{"status": "processed", "events": 1.0}, &inboxRow{state: "processed", path: "/invoices/paid", events: 1}, "", 2},
		{"unknown connector", delivery{path: "nope/webhook", body: inv1, secret: webhookSecret}, 404,
			nil, nil, "", 2},
	}
	for _, tt := range tests {
		before := count(t, db, `SELECT count(*) FROM connector_inbox`)
		status, body := post(t, srv.URL, tt.in)
		if status != tt.status {
			t.Errorf("%s: status %d %v; want %d", tt.name, status, body, tt.status)
		}
		for k, v := range tt.body {
			if body[k] != v {
				t.Errorf("%s: body[%q] = %v; want %v (body %v)", tt.name, k, body[k], v, body)
			}
		}
		after := count(t, db, `SELECT count(*) FROM connector_inbox`)
		switch {
		case tt.row == nil && after != before:
			t.Errorf("%s: stored an inbox row; want none", tt.name)
		case tt.row != nil:
			got := lastInbox(t, db)
			if after != before+1 || got.state != tt.row.state || got.path != tt.row.path || got.events != tt.row.events || got.skipped != tt.row.skipped {
				t.Errorf("%s: inbox row %+v (rows %d→%d); want %+v", tt.name, got, before, after, *tt.row)
			}
			if !strings.Contains(got.reason, tt.reasonHas) {
				t.Errorf("%s: reason %q does not mention %q", tt.name, got.reason, tt.reasonHas)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM events`); n != tt.events {
			t.Errorf("%s: %d events stored; want %d", tt.name, n, tt.events)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM connector_skips WHERE connector = 'billing' AND item_id = 'inv_4' AND reason LIKE '%555-SHIP%'`); n != 1 {
		t.Errorf("the skipped item is not recorded with its reason (%d rows)", n)
	}
	var typ, source string
	if err := db.Reader().QueryRow(`SELECT type, source FROM events WHERE source_id = 'inv_1'`).Scan(&typ, &source); err != nil || typ != "invoice.paid" || source != "billing" {
		t.Errorf("stored event: type %q source %q (%v)", typ, source, err)
	}
}

// TestWebhookWhilePluginDown: with the plugin down the request is stored
// and answered 202; once a plugin runs again, the retry loop processes it,
// once.
func TestWebhookWhilePluginDown(t *testing.T) {
	t.Parallel()
	needBinaries(t)
	db := openStore(t)
	down := startConnectors(t, db, connector.Config{Plugins: []plugins.Config{genericPlugin("billing")}})
	down.Close() // the plugin process is gone; calls fail with plugins.ErrUnavailable
	srv := serve(t, down)
	body := `{"id":"inv_9","kind":"invoice.paid","phone":"+16505550109"}`
	status, res := post(t, srv.URL, delivery{body: body, secret: webhookSecret, id: "d9"})
	if status != http.StatusAccepted || res["status"] != "stored" {
		t.Fatalf("while down: %d %v; want 202 stored", status, res)
	}
	if got := lastInbox(t, db); got.state != "pending" || !strings.Contains(got.reason, "unavailable") {
		t.Fatalf("inbox row %+v; want pending with the reason", got)
	}

	up := startConnectors(t, db, connector.Config{Plugins: []plugins.Config{genericPlugin("billing")}, RetryInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { up.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for lastInbox(t, db).state == "pending" {
		if time.Now().After(deadline) {
			t.Fatal("the stored request was not processed within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := lastInbox(t, db); got.state != "processed" || got.events != 1 {
		t.Errorf("inbox row %+v; want processed with 1 event", got)
	}
	// The sender retries anyway (it got no 2xx it trusted): a duplicate.
	srv2 := serve(t, up)
	if status, res := post(t, srv2.URL, delivery{body: body, secret: webhookSecret, id: "d9"}); status != 200 || res["status"] != "duplicate" {
		t.Errorf("redelivery: %d %v; want 200 duplicate", status, res)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE source_id = 'inv_9'`); n != 1 {
		t.Errorf("%d events for inv_9; want 1", n)
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	t.Parallel()
	needBinaries(t)
	db := openStore(t)
	c := startConnectors(t, db, connector.Config{Plugins: []plugins.Config{genericPlugin("billing")}, MaxBodyBytes: 64})
	srv := serve(t, c)
	big := `{"id":"inv_big","kind":"x","pad":"` + string(bytes.Repeat([]byte("x"), 100)) + `"}`
	if status, _ := post(t, srv.URL, delivery{body: big, secret: webhookSecret}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d; want 413", status)
	}
	if n := count(t, db, `SELECT count(*) FROM connector_inbox`); n != 0 {
		t.Errorf("%d inbox rows; want none for a refused body", n)
	}
}

// TestPollAbandonedCart: the shopify connector polls (its abandoned-cart
// timer); a checkout left alone becomes cart.abandoned through Poll, stored
// with the cursor.
func TestPollAbandonedCart(t *testing.T) {
	t.Parallel()
	needBinaries(t)
	db := openStore(t)
	cfg := shopifyPlugin()
	cfg.Config["abandoned_after"] = "300ms"
	c := startConnectors(t, db, connector.Config{Plugins: []plugins.Config{cfg}, PollIntervals: map[string]time.Duration{"shopify": time.Hour}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	body, err := os.ReadFile("../../connectors/shopify/testdata/checkouts_create.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", serve(t, c).URL+"/connectors/shopify/webhook", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Topic", "checkouts/create")
	req.Header.Set("X-Shopify-Shop-Domain", "parley-demo.myshopify.com")
	req.Header.Set("X-Shopify-Webhook-Id", "wh-checkout-1")
	req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(shopifySecret, body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"events":1`) {
		t.Fatalf("checkouts/create: %d %s", res.StatusCode, b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(t, db, `SELECT count(*) FROM events WHERE type = 'cart.abandoned'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no cart.abandoned event within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(t, db, `SELECT count(*) FROM connector_cursors WHERE connector = 'shopify' AND cursor != ''`); n != 1 {
		t.Errorf("the poll cursor is not stored (%d rows)", n)
	}
	time.Sleep(700 * time.Millisecond) // more polls: the cart is reported once
	if n := count(t, db, `SELECT count(*) FROM events WHERE type = 'cart.abandoned'`); n != 1 {
		t.Errorf("%d cart.abandoned events; want 1", n)
	}
}
