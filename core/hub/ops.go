package hub

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/parley-hub/parley/core/api"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/inbox"
	"github.com/parley-hub/parley/core/metrics"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
)

// This file wires the operators' side of Parley: API keys, the dead-letter
// queue and the metrics.

// apiKeys returns the keys the API accepts, and warns about keys that have
// expired or expire within a week (time to rotate them).
func apiKeys(keys []config.KeyHash, now time.Time, log *slog.Logger) []api.Key {
	out := make([]api.Key, 0, len(keys))
	for _, k := range keys {
		nb, ex := k.Validity()
		ak := api.Key{Name: k.Name, Hash: k.Hash, NotBefore: nb, ExpiresAt: ex}
		for _, s := range k.Scopes {
			ak.Scopes = append(ak.Scopes, api.Scope(s))
		}
		switch {
		case !ex.IsZero() && !now.Before(ex):
			log.Warn("API key has expired; remove it from api.keys", "api_key", k.Name, "expired_at", ex)
		case !ex.IsZero() && ex.Sub(now) < 7*24*time.Hour:
			log.Warn("API key expires soon; rotate it", "api_key", k.Name, "expires_at", ex)
		}
		out = append(out, ak)
	}
	return out
}

// newDeadLetters returns the dead-letter queue with the topics that take
// replays and the hook that resets each one's rows. A topic is listed only
// when its stages redo a replayed payload exactly once: the actions and
// inbound topics are not (yet).
func newDeadLetters(db *store.DB, messages *delivery.Store, in *inbox.Inbox) (*deadletter.Queue, error) {
	return deadletter.NewQueue(deadletter.QueueConfig{DB: db, Replay: map[string]deadletter.ReplayHook{
		pipeline.TopicEvents:   nil, // flows create each message once per event (dedupe key)
		pipeline.TopicGate:     messages.ReplayHook,
		pipeline.TopicOutbox:   messages.ReplayHook,
		pipeline.TopicWebhooks: in.ReplayHook,
	}})
}

// newMetrics returns the metrics, reading queue depths and dead letters
// from db and plugin restarts from host (nil for none) on each scrape.
func newMetrics(db *store.DB, dlq *deadletter.Queue, host *plugins.Host, log *slog.Logger) (*metrics.Metrics, error) {
	cfg := metrics.Config{
		Queues:      func(ctx context.Context) ([]pubsub.Depth, error) { return pubsub.Depths(ctx, db.Reader()) },
		DeadLetters: dlq.Counts,
		Log:         log,
	}
	if host != nil {
		cfg.PluginRestarts = func() map[string]int {
			out := map[string]int{}
			for _, st := range host.List() {
				out[st.Name] = st.Restarts
			}
			return out
		}
	}
	return metrics.New(cfg)
}

// serveMetrics serves the metrics at /metrics on their own listener
// (server.metrics_addr) until ctx ends.
func serveMetrics(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on server.metrics_addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}
