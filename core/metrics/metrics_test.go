package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/metrics"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/whatsapp"
)

// scrape returns the /metrics text.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func wantLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, l+"\n") {
			t.Errorf("metrics lack %q", l)
		}
	}
}

type fakeSender struct{ err error }

func (f fakeSender) Send(context.Context, *whatsapp.SendRequest) (*whatsapp.SendResponse, error) {
	return &whatsapp.SendResponse{}, f.err
}

func TestCounters(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	apiErr := func(code int) error {
		return &whatsapp.APIError{HTTPStatus: 400, Graph: whatsapp.GraphError{Code: code}}
	}
	for _, err := range []error{nil, nil, apiErr(131026), apiErr(130429), apiErr(131047), errors.New("connection reset")} {
		_, _ = m.Client(fakeSender{err}).Send(context.Background(), &whatsapp.SendRequest{})
	}
	for _, s := range []string{"sent", "delivered", "delivered", "read", "failed", "made-up"} {
		m.StatusApplied(s)
	}
	m.Event("accepted")
	m.Event("nonsense")
	m.Request("POST /v1/events", 202, time.Millisecond)
	m.Request("", 404, time.Millisecond)
	m.Webhook("whatsapp", 3*time.Millisecond)
	m.Webhook("connector", 30*time.Millisecond)

	wantLines(t, scrape(t, m),
		`parley_messages_sent_total{outcome="accepted"} 2`,
		`parley_messages_sent_total{outcome="permanent"} 1`,
		`parley_messages_sent_total{outcome="back_off"} 1`,
		`parley_messages_sent_total{outcome="needs_template"} 1`,
		`parley_messages_sent_total{outcome="retry"} 1`,
		`parley_messages_sent_total{outcome="auth"} 0`,
		`parley_status_updates_total{status="delivered"} 2`,
		`parley_status_updates_total{status="other"} 1`,
		`parley_events_received_total{outcome="accepted"} 1`,
		`parley_events_received_total{outcome="other"} 1`,
		`parley_events_received_total{outcome="rejected"} 0`,
		`parley_http_requests_total{code="202",route="POST /v1/events"} 1`,
		`parley_http_requests_total{code="404",route="other"} 1`,
		`parley_webhook_receive_duration_seconds_bucket{receiver="whatsapp",le="0.005"} 1`,
		`parley_webhook_receive_duration_seconds_count{receiver="connector"} 1`,
	)
}

func TestScraped(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(metrics.Config{
		Queues: func(context.Context) ([]pubsub.Depth, error) {
			return []pubsub.Depth{{Topic: "outbox", Group: "send", Unclaimed: 7, Leased: 3}}, nil
		},
		DeadLetters: func(context.Context) ([]deadletter.Count, error) {
			return []deadletter.Count{{Topic: "outbox", Total: 4, Pending: 1}}, nil
		},
		PluginRestarts: func() map[string]int { return map[string]int{"shopify": 2} },
	})
	if err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	wantLines(t, text,
		`parley_queue_depth{group="send",state="unclaimed",topic="outbox"} 7`,
		`parley_queue_depth{group="send",state="leased",topic="outbox"} 3`,
		`parley_dead_letters_total{topic="outbox"} 4`,
		`parley_dead_letters_pending{topic="outbox"} 1`,
		`parley_plugin_restarts_total{plugin="shopify"} 2`,
	)
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(text, "\n"+family+" ") {
			t.Errorf("metrics lack %s", family)
		}
	}
}

// TestScrapeErrorServesTheRest: a source that fails is left out; the
// other metrics are still served.
func TestScrapeErrorServesTheRest(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(metrics.Config{
		Queues: func(context.Context) ([]pubsub.Depth, error) { return nil, errors.New("database is locked") },
		DeadLetters: func(context.Context) ([]deadletter.Count, error) {
			return []deadletter.Count{{Topic: "events", Total: 1, Pending: 1}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	wantLines(t, text, `parley_dead_letters_total{topic="events"} 1`)
	if strings.Contains(text, "parley_queue_depth{") {
		t.Error("a failed source was served")
	}
}
