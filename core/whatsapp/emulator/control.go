package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// controlEndpoints documents the control API (GET /_emulator/ returns it).
// It needs no access token: it stands for the world outside the API — the
// customer's phone, Meta's reviewers — and for test assertions.
var controlEndpoints = []struct {
	Method, Path, Doc string
}{
	{"GET", "/_emulator/messages", "Messages the emulator accepted, oldest first: ?to= (any number format), ?type=, ?status=, ?direction=outbound|inbound|all, ?limit= (newest N). Answers {count, messages[{id, direction, to, wa_id, type, template, status, error, time, request}]}."},
	{"GET", "/_emulator/stats", "Counters: accepted by type, rejected by error code, statuses, webhooks (posts, delivered, pending, failed_posts, retries, dropped, duplicated, reordered, overflow, lost)."},
	{"GET", "/_emulator/faults", "The current fault settings."},
	{"POST", "/_emulator/faults", "Change fault settings; fields left out keep their value: {duplicate_rate, reorder_rate, drop_rate, fault_rate, fault_kinds[\"5xx\"|\"timeout\"|\"timeout_after_accept\"|\"<code>\"], read_without_delivered}."},
	{"POST", "/_emulator/inbound", "Simulate a customer message: {from, name, text | button_reply{id,title} | list_reply{id,title,description} | button{payload,text} | reaction{message_id,emoji}, context, referral{...}}. Opens the 24 h window. Answers {id}."},
	{"POST", "/_emulator/templates/{name}/{language}/status", "Apply a template status event and fire its webhook: {status: APPROVED|REJECTED|PAUSED|DISABLED|REINSTATED|FLAGGED|..., reason}."},
	{"POST", "/_emulator/recipients", "Set a user's simulated state: {wa_id, not_on_whatsapp (sends fail 131026), marketing_opt_out (marketing templates fail 131050)}."},
	{"GET", "/_emulator/webhook", "The webhook URL."},
	{"POST", "/_emulator/webhook", "Set the webhook URL: {url}."},
	{"POST", "/_emulator/reset", "Forget messages, windows, limits, media and counters; restore seeded templates and configured faults."},
}

func (e *Emulator) controlRoutes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /_emulator/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"endpoints": controlEndpoints})
	})
	m.HandleFunc("GET /_emulator/messages", e.ctlMessages)
	m.HandleFunc("GET /_emulator/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Stats())
	})
	m.HandleFunc("GET /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Faults())
	})
	m.HandleFunc("POST /_emulator/faults", e.ctlFaults)
	m.HandleFunc("POST /_emulator/inbound", e.ctlInbound)
	m.HandleFunc("POST /_emulator/templates/{name}/{language}/status", e.ctlTemplateStatus)
	m.HandleFunc("POST /_emulator/recipients", e.ctlRecipient)
	m.HandleFunc("GET /_emulator/webhook", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"url": e.WebhookURL()})
	})
	m.HandleFunc("POST /_emulator/webhook", e.ctlWebhook)
	m.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, r *http.Request) {
		e.Reset()
		writeJSON(w, http.StatusOK, success)
	})
	m.HandleFunc("/_emulator/", func(w http.ResponseWriter, r *http.Request) {
		ctlError(w, http.StatusNotFound, "not_found", "no such control endpoint; GET /_emulator/ lists them")
	})
	return m
}

// ctlError writes a control API error: a stable code and a safe message.
func ctlError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		ctlError(w, http.StatusBadRequest, "bad_request", "body: "+err.Error())
		return false
	}
	return true
}

func (e *Emulator) ctlMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mq := MessageQuery{To: q.Get("to"), Type: q.Get("type"), Status: q.Get("status"), Direction: q.Get("direction")}
	switch mq.Direction {
	case "", "outbound", "inbound", "all":
	default:
		ctlError(w, http.StatusBadRequest, "bad_request", "direction: want outbound, inbound or all")
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			ctlError(w, http.StatusBadRequest, "bad_request", "limit: want a number")
			return
		}
		mq.Limit = n
	}
	writeJSON(w, http.StatusOK, e.Messages(mq))
}

func (e *Emulator) ctlFaults(w http.ResponseWriter, r *http.Request) {
	f := e.Faults() // fields absent from the body keep their value
	if !decodeBody(w, r, &f) {
		return
	}
	if err := e.SetFaults(f); err != nil {
		ctlError(w, http.StatusBadRequest, "invalid_faults", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, e.Faults())
}

func (e *Emulator) ctlInbound(w http.ResponseWriter, r *http.Request) {
	var in Inbound
	if !decodeBody(w, r, &in) {
		return
	}
	id, err := e.Receive(r.Context(), in)
	switch {
	case errors.Is(err, ErrInvalidInput):
		ctlError(w, http.StatusBadRequest, "invalid_inbound", err.Error())
	case err != nil:
		ctlError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"id": id})
	}
}

func (e *Emulator) ctlTemplateStatus(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	err := e.SetTemplateStatus(r.PathValue("name"), r.PathValue("language"), body.Status, body.Reason)
	switch {
	case errors.Is(err, ErrUnknownTemplate):
		ctlError(w, http.StatusNotFound, "unknown_template", err.Error())
	case err != nil:
		ctlError(w, http.StatusBadRequest, "invalid_status", err.Error())
	default:
		writeJSON(w, http.StatusOK, success)
	}
}

func (e *Emulator) ctlRecipient(w http.ResponseWriter, r *http.Request) {
	var rc Recipient
	if !decodeBody(w, r, &rc) {
		return
	}
	if err := e.SetRecipient(rc); err != nil {
		ctlError(w, http.StatusBadRequest, "invalid_recipient", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, success)
}

func (e *Emulator) ctlWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		URL string `json:"url"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if err := e.SetWebhookURL(body.URL); err != nil {
		ctlError(w, http.StatusBadRequest, "invalid_url", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": e.WebhookURL()})
}
