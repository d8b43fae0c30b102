package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/ingest"
)

// Config configures the HTTP API.
type Config struct {
	// Keys are the accepted API keys, with their scopes (see keys.go and
	// the route table in routes.go).
	Keys []Key
	// MaxBodyBytes bounds request bodies; default 3 MiB.
	MaxBodyBytes int64
	Events       *ingest.Events
	Messages     *delivery.Store
	// Direct creates and enqueues directly sent messages.
	Direct *Direct
	// Webhook serves /webhooks/whatsapp (GET handshake, POST deliveries).
	Webhook http.Handler
	// Connectors serves POST /connectors/{name}/webhook[/{rest...}] (no API
	// key: each connector checks its sender's signature); nil for none.
	Connectors http.Handler
	// Plugins lists and inspects the connector plugins for GET
	// /v1/connectors; nil for none.
	Plugins Plugins
	// Policy serves the contact, consent and agent-queue endpoints and the
	// decision shown with each message; nil for none.
	Policy *Policy
	// DeadLetters serves /v1/dlq (list, show, replay); nil for none.
	DeadLetters DeadLetters
	// Metrics serves GET /metrics without an API key; nil when the metrics
	// are served elsewhere (server.metrics_addr) or not at all.
	Metrics http.Handler
	// Observer is told of every request, for metrics; nil for none.
	Observer Observer
	// Ready reports whether Parley can take work; nil means always.
	Ready func(ctx context.Context) error
	Log   *slog.Logger
	// Now is the clock API keys' validity is checked against; default time.Now.
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	cfg  Config
	keys *keyring
}

// New returns the API server.
func New(cfg Config) (*Server, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 3 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys, err := newKeyring(cfg.Keys, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, keys: keys}, nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			s.cfg.Log.Warn("not ready", "error", err)
			writeError(w, http.StatusServiceUnavailable, "not_ready", "not ready: "+err.Error(), "")
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// readBody reads a bounded body; on error it has answered already.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes", tooBig.Limit), "body")
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "bad_body", "could not read the body: "+err.Error(), "body")
		return nil, false
	}
	return body, true
}

func (s *Server) postEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	res, err := s.cfg.Events.Accept(r.Context(), body, r.Header.Get("Idempotency-Key"))
	if err != nil {
		var fe *event.FieldError
		if errors.As(err, &fe) {
			writeError(w, http.StatusBadRequest, "invalid_event", fe.Error(), fe.Field)
			return
		}
		s.internal(w, "accept event", err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.Code)
	_, _ = w.Write(res.Body)
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.cfg.Messages.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, delivery.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no message with id %q", r.PathValue("id")), "id")
		return
	}
	if err != nil {
		s.internal(w, "get message", err)
		return
	}
	m.Decision = s.decision(r.Context(), m.ID)
	writeJSON(w, http.StatusOK, m)
}

var states = map[string]bool{delivery.StateAccepted: true, delivery.StateSent: true, delivery.StateDelivered: true, delivery.StateRead: true, delivery.StateFailed: true, delivery.StateBlocked: true}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := delivery.Filter{EventID: q.Get("event_id"), Status: q.Get("status"), Before: q.Get("before")}
	if f.Status != "" && !states[f.Status] {
		writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("status: want accepted, sent, delivered, read, failed or blocked (got %q)", f.Status), "status")
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("limit: want 1 to 500 (got %q)", l), "limit")
			return
		}
		f.Limit = n
	}
	msgs, next, err := s.cfg.Messages.List(r.Context(), f)
	if err != nil {
		s.internal(w, "list messages", err)
		return
	}
	out := map[string]any{"data": msgs}
	if next != "" {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.cfg.Log.Error(what, "error", err)
	writeError(w, http.StatusInternalServerError, "internal", what+" failed; see the server log", "")
}

// ErrorBody is the body of every API error.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
		// Scope is the scope a 403 insufficient_scope needed.
		Scope string `json:"scope,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	var b ErrorBody
	b.Error.Code, b.Error.Message, b.Error.Field = code, msg, field
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
