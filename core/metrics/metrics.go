package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/pubsub"
)

// The metrics, besides Go's (go_*) and the process's (process_*):
//
//	parley_http_requests_total{route,code}                 API requests answered, by route pattern and status
//	parley_events_received_total{outcome}                  POST /v1/events: accepted, duplicate, rejected, error
//	parley_messages_sent_total{outcome}                    Cloud API send attempts: accepted, or the failure's class
//	                                                       (retry, back_off, needs_template, permanent, auth)
//	parley_status_updates_total{status}                    statuses applied from signed webhooks: sent, delivered, read, failed, ...
//	parley_webhook_receive_duration_seconds{receiver}      receive → response of webhooks (whatsapp, connector), histogram
//	parley_queue_depth{topic,group,state}                  messages not acked per topic and consumer group; state unclaimed or leased
//	parley_dead_letters_total{topic}                       dead letters stored
//	parley_dead_letters_pending{topic}                     dead letters not replayed
//	parley_plugin_restarts_total{plugin}                   restarts of each connector plugin
const namespace = "parley"

// Config configures Metrics. Every source is optional: nil leaves its
// metrics out.
type Config struct {
	// Queues returns the queue depths on each scrape (pubsub.Depths).
	Queues func(ctx context.Context) ([]pubsub.Depth, error)
	// DeadLetters returns the dead-letter counts on each scrape
	// (deadletter.Queue.Counts).
	DeadLetters func(ctx context.Context) ([]deadletter.Count, error)
	// PluginRestarts returns each connector plugin's restart count, by
	// name, on each scrape. It must be safe for concurrent use and must not
	// block.
	PluginRestarts func() map[string]int
	// ScrapeTimeout bounds the database reads of one scrape; default 5s.
	ScrapeTimeout time.Duration
	// Log receives the errors of scrapes; nil discards them.
	Log *slog.Logger
}

// Metrics holds Parley's metrics in their own registry. Its methods are
// safe for concurrent use and never block.
type Metrics struct {
	reg      *prometheus.Registry
	log      *slog.Logger
	requests *prometheus.CounterVec
	events   *prometheus.CounterVec
	sends    *prometheus.CounterVec
	statuses *prometheus.CounterVec
	webhooks *prometheus.HistogramVec
}

// New returns the metrics, registered with Go's and the process's
// collectors and the scrape-time collectors cfg asks for.
func New(cfg Config) (*Metrics, error) {
	if cfg.ScrapeTimeout <= 0 {
		cfg.ScrapeTimeout = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: cfg.Log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "API requests answered, by route pattern and HTTP status.",
		}, []string{"route", "code"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_received_total",
			Help: "Events posted to POST /v1/events, by outcome: accepted, duplicate (an idempotent repeat), rejected (invalid) or error.",
		}, []string{"outcome"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_sent_total",
			Help: "Cloud API send attempts, by outcome: accepted, or the failure's class (retry, back_off, needs_template, permanent, auth). A retried message counts each attempt.",
		}, []string{"outcome"}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "status_updates_total",
			Help: "Message status updates applied from signed WhatsApp webhooks, by status.",
		}, []string{"status"}),
		webhooks: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "webhook_receive_duration_seconds",
			Help:    "Time from receiving a webhook to answering it (verify, store durably, respond), by receiver: whatsapp or connector.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"receiver"}),
	}
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.events, m.sends, m.statuses, m.webhooks,
	}
	if cfg.Queues != nil || cfg.DeadLetters != nil || cfg.PluginRestarts != nil {
		cs = append(cs, newScraped(cfg))
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, o := range eventOutcomes {
		m.events.WithLabelValues(o)
	}
	for _, o := range sendOutcomes {
		m.sends.WithLabelValues(o)
	}
	return m, nil
}

// Handler serves the metrics in Prometheus's text format. A source that
// fails is logged and left out; the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      errorLog{m.log},
	})
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// The fixed label values; anything else is counted as "other".
var (
	eventOutcomes = []string{"accepted", "duplicate", "rejected", "error"}
	sendOutcomes  = []string{"accepted", "retry", "back_off", "needs_template", "permanent", "auth"}
	statuses      = []string{"sent", "delivered", "read", "failed", "deleted", "warning", "played"}
	receivers     = []string{"whatsapp", "connector"}
)

func known(list []string, v string) string {
	if slices.Contains(list, v) {
		return v
	}
	return "other"
}

// Request counts an API request (api.Observer). route is a route pattern
// of the API's route table, "" when none matched.
func (m *Metrics) Request(route string, code int, _ time.Duration) {
	if route == "" {
		route = "other"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

// Event counts a POST /v1/events by outcome (api.Observer).
func (m *Metrics) Event(outcome string) {
	m.events.WithLabelValues(known(eventOutcomes, outcome)).Inc()
}

// Webhook observes how long a webhook receiver took to answer (api.Observer).
func (m *Metrics) Webhook(receiver string, d time.Duration) {
	m.webhooks.WithLabelValues(known(receivers, receiver)).Observe(d.Seconds())
}

// StatusApplied counts a status update applied (inbox.StatusObserver).
func (m *Metrics) StatusApplied(status string) {
	m.statuses.WithLabelValues(known(statuses, status)).Inc()
}

// errorLog adapts slog to promhttp's error logger.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Println(v ...any) {
	e.log.Warn("metrics scrape", "error", fmt.Sprint(v...))
}
