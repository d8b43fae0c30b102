package api

import (
	"net/http"

	"github.com/parley-hub/parley/core/consent"
)

// route is one endpoint of the API: its pattern as http.ServeMux takes it,
// who may call it, what it reports to the Observer, and its handler.
type route struct {
	pattern string
	// scope is what the caller's API key needs: a Scope, anyKey, or public
	// (no key).
	scope   Scope
	kind    routeKind
	handler http.Handler // nil: not served by this Parley
}

// routeKind says what a route reports to the Observer besides the request.
type routeKind int

const (
	plainRoute       routeKind = iota
	eventsRoute                // POST /v1/events: Observer.Event
	whatsappWebhook            // Observer.Webhook("whatsapp", ...)
	connectorWebhook           // Observer.Webhook("connector", ...)
)

// routes is the route table: every endpoint, with the scope it needs. It
// is the one place access is declared; a route missing here is not served.
func (s *Server) routes() []route {
	return []route{
		{"GET /healthz", public, plainRoute, http.HandlerFunc(s.healthz)},
		{"GET /readyz", public, plainRoute, http.HandlerFunc(s.readyz)},
		{"GET /metrics", public, plainRoute, s.cfg.Metrics},
		// Signed by Meta (X-Hub-Signature-256); GET is the verify handshake.
		{"/webhooks/whatsapp", public, whatsappWebhook, s.cfg.Webhook},
		// Each connector checks its sender's signature.
		{"POST /connectors/{name}/webhook", public, connectorWebhook, s.cfg.Connectors},
		{"POST /connectors/{name}/webhook/{rest...}", public, connectorWebhook, s.cfg.Connectors},

		{"POST /v1/events", ScopeEventsWrite, eventsRoute, http.HandlerFunc(s.postEvent)},
		{"POST /v1/messages", ScopeMessagesSend, plainRoute, when(s.cfg.Direct != nil, s.postMessage)},
		{"GET /v1/messages", ScopeMessagesRead, plainRoute, http.HandlerFunc(s.listMessages)},
		{"GET /v1/messages/{id}", ScopeMessagesRead, plainRoute, http.HandlerFunc(s.getMessage)},
		{"GET /v1/contacts/{id}", ScopeContactsRead, plainRoute, when(s.cfg.Policy != nil, s.getContact)},
		{"GET /v1/contacts/{id}/consent", ScopeContactsRead, plainRoute, when(s.cfg.Policy != nil, s.getConsent)},
		{"POST /v1/contacts/{id}/opt-in", ScopeContactsWrite, plainRoute, when(s.cfg.Policy != nil, s.postConsent(consent.OptIn))},
		{"POST /v1/contacts/{id}/opt-out", ScopeContactsWrite, plainRoute, when(s.cfg.Policy != nil, s.postConsent(consent.OptOut))},
		{"POST /v1/contacts/{id}/handoff", ScopeContactsWrite, plainRoute, when(s.cfg.Policy != nil, s.postHandoff)},
		{"POST /v1/contacts/{id}/handback", ScopeContactsWrite, plainRoute, when(s.cfg.Policy != nil, s.postHandback)},
		{"GET /v1/handoffs", ScopeContactsRead, plainRoute, when(s.cfg.Policy != nil, s.listHandoffs)},
		{"POST /v1/handoffs/{id}/claim", ScopeContactsWrite, plainRoute, when(s.cfg.Policy != nil, s.claimHandoff)},
		{"GET /v1/templates", ScopeMessagesRead, plainRoute, when(s.cfg.Policy != nil, s.listTemplates)},
		{"POST /v1/templates/sync", ScopeMessagesSend, plainRoute, when(s.cfg.Policy != nil, s.syncTemplates)},
		{"GET /v1/connectors", ScopeConnectorsRead, plainRoute, when(s.cfg.Plugins != nil, s.listConnectors)},
		{"GET /v1/connectors/{name}", ScopeConnectorsRead, plainRoute, when(s.cfg.Plugins != nil, s.getConnector)},
		{"GET /v1/dlq", ScopeDLQRead, plainRoute, when(s.cfg.DeadLetters != nil, s.listDeadLetters)},
		{"GET /v1/dlq/{id}", ScopeDLQRead, plainRoute, when(s.cfg.DeadLetters != nil, s.getDeadLetter)},
		{"POST /v1/dlq/{id}/replay", ScopeDLQReplay, plainRoute, when(s.cfg.DeadLetters != nil, s.replayDeadLetter)},
		// Anything else under /v1/: 404 for a valid key, 401 without one.
		{"/v1/", anyKey, plainRoute, http.HandlerFunc(s.notFound)},
	}
}

// when returns h as a handler if ok, else nil (the route is left out).
func when(ok bool, h http.HandlerFunc) http.Handler {
	if !ok {
		return nil
	}
	return h
}

// Handler returns the API: the route table behind the request log and the
// Observer.
func (s *Server) Handler() http.Handler { return s.serve(s.routes()) }

// serve mounts routes, each behind its key check, behind observe.
func (s *Server) serve(routes []route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		if rt.handler != nil {
			mux.Handle(rt.pattern, s.guard(rt))
		}
	}
	return s.observe(mux)
}

// guard records the route for the request log and checks the API key the
// route needs: 401 when it is missing, unknown, expired or not valid yet,
// 403 when it lacks the route's scope.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r)
		info.route, info.kind = rt.pattern, rt.kind
		if rt.scope != public {
			key, aerr := s.keys.authenticate(r, rt.scope, rt.pattern)
			if key != nil {
				info.key = key.Name
			}
			if aerr != nil {
				writeAuthError(w, aerr)
				return
			}
		}
		rt.handler.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path, "")
}
