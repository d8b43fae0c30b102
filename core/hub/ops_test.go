package hub

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/api"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/metrics"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	got := apiKeys([]config.KeyHash{
		{Name: "ops", Hash: config.HashAPIKey("a"), Scopes: []string{"events:write", "dlq:read"}, NotBefore: "2026-05-01T00:00:00Z"},
		{Name: "old", Hash: config.HashAPIKey("b"), Scopes: []string{"admin"}, ExpiresAt: "2026-06-03T00:00:00Z"},
		{Name: "gone", Hash: config.HashAPIKey("c"), Scopes: []string{"admin"}, ExpiresAt: "2026-05-03T00:00:00Z"},
	}, now, slog.New(slog.NewTextHandler(&logs, nil)))
	want := []api.Key{
		{Name: "ops", Hash: config.HashAPIKey("a"), Scopes: []api.Scope{api.ScopeEventsWrite, api.ScopeDLQRead}, NotBefore: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "old", Hash: config.HashAPIKey("b"), Scopes: []api.Scope{api.ScopeAdmin}, ExpiresAt: time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)},
		{Name: "gone", Hash: config.HashAPIKey("c"), Scopes: []api.Scope{api.ScopeAdmin}, ExpiresAt: time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apiKeys (-want +got):\n%s", diff)
	}
	for _, line := range []string{`msg="API key expires soon; rotate it" api_key=old`, `msg="API key has expired; remove it from api.keys" api_key=gone`} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("log lacks %s:\n%s", line, &logs)
		}
	}
	if strings.Contains(logs.String(), "api_key=ops") {
		t.Errorf("a valid key was warned about:\n%s", &logs)
	}
}

func TestServeMetrics(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.Event("accepted")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := serveMetrics(ctx, addr, m.Handler(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `parley_events_received_total{outcome="accepted"} 1`) {
		t.Errorf("GET /metrics = %d:\n%s", res.StatusCode, body)
	}
	if err := serveMetrics(ctx, addr, m.Handler(), slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "server.metrics_addr") {
		t.Errorf("second listen on %s: %v; want an error naming server.metrics_addr", addr, err)
	}
}
