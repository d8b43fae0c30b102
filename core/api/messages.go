package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Direct creates messages sent through POST /v1/messages.
type Direct struct {
	DB       *store.DB
	Messages *delivery.Store
	Topic    string
}

// postMessage takes a message in the Cloud API's own shape (to, type and
// the object named by type; messaging_product may be left out), checks it,
// stores and enqueues it. An Idempotency-Key makes it safe to repeat.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req whatsapp.SendRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_message", "malformed message: "+err.Error(), "body")
		return
	}
	if req.MessagingProduct == "" {
		req.MessagingProduct = whatsapp.MessagingProduct
	}
	if req.To == "" && req.Recipient == "" {
		writeError(w, http.StatusBadRequest, "invalid_message", "to: is required", "to")
		return
	}
	if req.To != "" {
		to, err := contacts.NormalizePhone(req.To)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_message", fmt.Sprintf("to: %v (got %q)", err, req.To), "to")
			return
		}
		req.To = to
	}
	if err := req.Validate(); err != nil {
		field := ""
		var fe *whatsapp.FieldError
		if errors.As(err, &fe) {
			field = fe.Field
		}
		writeError(w, http.StatusBadRequest, "invalid_message", err.Error(), field)
		return
	}
	nm := delivery.NewMessage{Request: &req}
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		nm.DedupeKey = "api|" + k
	}
	var id string
	var created bool
	err := s.cfg.Direct.DB.Write(r.Context(), func(tx *store.Tx) error {
		var err error
		id, created, err = s.cfg.Direct.Messages.EnqueueTx(r.Context(), tx, nm, s.cfg.Direct.Topic)
		return err
	})
	if err != nil {
		s.internal(w, "enqueue message", err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": delivery.StateAccepted})
}
