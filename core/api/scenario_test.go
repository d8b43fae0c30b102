package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/parley-hub/parley/core/api"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/metrics"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// TestScenarioDLQ drives the real handlers over HTTP: events in, a message
// dead-lettered, listed, shown and replayed once, with scoped keys; then
// the metrics of it all at the public /metrics.
func TestScenarioDLQ(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "parley.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	msgs := delivery.NewStore(db)
	dlq, err := deadletter.NewQueue(deadletter.QueueConfig{DB: db, Replay: map[string]deadletter.ReplayHook{"outbox": msgs.ReplayHook}})
	if err != nil {
		t.Fatal(err)
	}
	mtr, err := metrics.New(metrics.Config{DeadLetters: dlq.Counts})
	if err != nil {
		t.Fatal(err)
	}
	key := func(name string, scopes ...api.Scope) api.Key {
		return api.Key{Name: name, Hash: config.HashAPIKey(name), Scopes: scopes}
	}
	srv, err := api.New(api.Config{
		Keys:   []api.Key{key("writer", api.ScopeEventsWrite), key("reader", api.ScopeDLQRead), key("operator", api.ScopeDLQRead, api.ScopeDLQReplay)},
		Events: ingest.New(db, "events"), Messages: msgs, DeadLetters: dlq, Observer: mtr, Metrics: mtr.Handler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	// A message whose send was dead-lettered.
	var msgID string
	if err := db.Write(ctx, func(tx *store.Tx) error {
		msgID, _, err = msgs.CreateTx(ctx, tx, delivery.NewMessage{Request: whatsapp.NewText("+16505551234", "hi")})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m := message.NewMessage("u1", []byte(msgID))
	m.Metadata.Set(middleware.PoisonedTopicKey, "outbox")
	m.Metadata.Set(middleware.ReasonForPoisonedKey, "send: 503 Service Unavailable")
	if err := deadletter.NewSink(db, map[string]deadletter.Hook{"outbox": msgs.DeadLetterHook}).Publish("dead_letters", m); err != nil {
		t.Fatal(err)
	}
	letters, _, err := dlq.List(ctx, deadletter.Filter{})
	if err != nil || len(letters) != 1 {
		t.Fatalf("letters %v, %v", letters, err)
	}
	id := letters[0].ID
	event := `{"type":"order.shipped","source":"shop","id":"1","contact":{"phone":"+16505551234"}}`

	steps := []struct {
		name, method, path, key, body string
		code                          int
		want                          string // substring of the body
	}{
		{"event accepted", "POST", "/v1/events", "writer", event, 202, `"status":"accepted"`},
		{"event repeated", "POST", "/v1/events", "writer", event, 202, `"status":"accepted"`},
		{"event invalid", "POST", "/v1/events", "writer", `{"type":""}`, 400, `"code":"invalid_event"`},
		{"event without scope", "POST", "/v1/events", "reader", event, 403, `"scope":"events:write"`},
		{"list", "GET", "/v1/dlq", "reader", "", 200, `"reason":"send: 503 Service Unavailable"`},
		{"list pending outbox", "GET", "/v1/dlq?topic=outbox&replayed=false", "reader", "", 200, `"replayable":true`},
		{"list bad filter", "GET", "/v1/dlq?replayed=maybe", "reader", "", 400, `"field":"replayed"`},
		{"list bad limit", "GET", "/v1/dlq?limit=0", "reader", "", 400, `"field":"limit"`},
		{"show", "GET", fmt.Sprintf("/v1/dlq/%d", id), "reader", "", 200, `"payload":"` + msgID + `"`},
		{"show missing", "GET", "/v1/dlq/999", "reader", "", 404, `"code":"not_found"`},
		{"show not an id", "GET", "/v1/dlq/abc", "reader", "", 404, `"code":"not_found"`},
		{"replay without scope", "POST", fmt.Sprintf("/v1/dlq/%d/replay", id), "reader", "", 403, `"scope":"dlq:replay"`},
		{"replay", "POST", fmt.Sprintf("/v1/dlq/%d/replay", id), "operator", "", 200, `"replayed_at":"`},
		{"replay again", "POST", fmt.Sprintf("/v1/dlq/%d/replay", id), "operator", "", 409, `"code":"already_replayed"`},
		{"replay missing", "POST", "/v1/dlq/999/replay", "operator", "", 404, `"code":"not_found"`},
		{"list replayed", "GET", "/v1/dlq?replayed=true", "reader", "", 200, `"replayable":false`},
	}
	for _, st := range steps {
		req, _ := http.NewRequest(st.method, ts.URL+st.path, strings.NewReader(st.body))
		req.Header.Set("Authorization", "Bearer "+st.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != st.code || !strings.Contains(string(body), st.want) {
			t.Errorf("%s: %s %s = %d %s; want %d with %s", st.name, st.method, st.path, res.StatusCode, body, st.code, st.want)
		}
	}
	got, err := msgs.Get(ctx, msgID)
	if err != nil || got.Status != delivery.StateAccepted || got.Error != nil {
		t.Errorf("replayed message = %+v, %v; want accepted without error", got, err)
	}

	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, line := range []string{
		`parley_events_received_total{outcome="accepted"} 1`,
		`parley_events_received_total{outcome="duplicate"} 1`,
		`parley_events_received_total{outcome="rejected"} 1`,
		`parley_http_requests_total{code="409",route="POST /v1/dlq/{id}/replay"} 1`,
		`parley_http_requests_total{code="403",route="POST /v1/events"} 1`,
		`parley_dead_letters_total{topic="outbox"} 1`,
		`parley_dead_letters_pending{topic="outbox"} 0`,
	} {
		if !strings.Contains(string(text), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	var page struct {
		Data []api.DeadLetter `json:"data"`
	}
	req, _ := http.NewRequest("GET", ts.URL+"/v1/dlq", nil)
	req.Header.Set("Authorization", "Bearer reader")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Data) != 1 || page.Data[0].ReplayedAt == nil {
		t.Errorf("GET /v1/dlq after replay: %+v, %v", page, err)
	}
}
