package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/window"
)

// Policy is what the contact, consent and agent-queue endpoints use.
type Policy struct {
	DB       *store.DB
	Contacts *contacts.Store
	Handoff  *handoff.Store
	Audit    *policy.Audit
	// Phones normalizes a phone number given as a contact reference.
	Phones contacts.Phones
	// Templates and SyncTemplates serve GET /v1/templates and POST
	// /v1/templates/sync.
	Templates     *templates.Registry
	SyncTemplates func(ctx context.Context) (int, error)
}

// decision fills a message's latest decision, if the gate made one.
func (s *Server) decision(ctx context.Context, id string) json.RawMessage {
	if s.cfg.Policy == nil || s.cfg.Policy.Audit == nil {
		return nil
	}
	d, err := s.cfg.Policy.Audit.Latest(ctx, id)
	if err != nil {
		s.cfg.Log.Warn("message decision", "message_id", id, "error", err)
		return nil
	}
	return d
}

// contactRef resolves {id}: a contact id, an E.164 phone or a WhatsApp id.
// It has answered when ok is false.
func (s *Server) contactRef(w http.ResponseWriter, r *http.Request) (string, bool) {
	ref := r.PathValue("id")
	if strings.HasPrefix(ref, "+") {
		p, err := s.cfg.Policy.Phones.Normalize(ref)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("id: %v (got %q)", err, ref), "id")
			return "", false
		}
		ref = p
	}
	id, err := s.cfg.Policy.Contacts.Ref(r.Context(), ref)
	if errors.Is(err, contacts.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no contact %q", r.PathValue("id")), "id")
		return "", false
	}
	if err != nil {
		s.internal(w, "find contact", err)
		return "", false
	}
	return id, true
}

// contactView is GET /v1/contacts/{id}.
type contactView struct {
	*contacts.Contact
	Consent consent.State  `json:"consent"`
	Window  window.State   `json:"window"`
	Handoff *handoff.Entry `json:"handoff,omitempty"`
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	id, ok := s.contactRef(w, r)
	if !ok {
		return
	}
	ctx, q, now := r.Context(), s.cfg.Policy.DB.Reader(), time.Now()
	c, err := contacts.Get(ctx, q, id)
	if err != nil {
		s.internal(w, "get contact", err)
		return
	}
	v := contactView{Contact: c}
	if v.Consent, err = consent.Current(ctx, q, id, now); err != nil {
		s.internal(w, "get contact consent", err)
		return
	}
	if v.Window, err = window.Get(ctx, q, id, now); err != nil {
		s.internal(w, "get contact window", err)
		return
	}
	entries, err := s.cfg.Policy.Handoff.List(ctx, "", id, 1)
	if err != nil {
		s.internal(w, "get contact handoff", err)
		return
	}
	if len(entries) > 0 {
		v.Handoff = &entries[0]
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) getConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := s.contactRef(w, r)
	if !ok {
		return
	}
	ctx, q := r.Context(), s.cfg.Policy.DB.Reader()
	hist, err := consent.History(ctx, q, id)
	if err != nil {
		s.internal(w, "get consent", err)
		return
	}
	if hist == nil {
		hist = []consent.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"contact_id": id, "state": consent.Derive(hist, time.Now()), "history": hist})
}

// consentBody is the body of POST /v1/contacts/{id}/opt-in and opt-out.
type consentBody struct {
	// Purposes the choice is about; default [marketing].
	Purposes []string `json:"purposes"`
	Purpose  string   `json:"purpose"`
	// LawfulBasis; default consent.
	LawfulBasis string `json:"lawful_basis"`
	// Source: api (default), import or connector.
	Source string `json:"source"`
	// Evidence of the choice (a form, a checkbox, a recording); required.
	Evidence json.RawMessage `json:"evidence"`
	// Actor who records it; default api.
	Actor       string     `json:"actor"`
	Channel     string     `json:"channel"`
	EffectiveAt *time.Time `json:"effective_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	// DedupeKey makes a retried request record nothing new (also taken from
	// the Idempotency-Key header).
	DedupeKey string `json:"dedupe_key"`
}

// postConsent records an opt-in or opt-out with its evidence, for a
// contact given by id or by phone (a contact is created for a phone Parley
// does not know yet: consent is often collected before the first message).
func (s *Server) postConsent(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readBody(w, r)
		if !ok {
			return
		}
		var in consentBody
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_consent", "malformed body: "+err.Error(), "body")
			return
		}
		if len(bytes.TrimSpace(in.Evidence)) == 0 || string(in.Evidence) == "null" {
			writeError(w, http.StatusBadRequest, "invalid_consent", "evidence: is required (what proves the choice: a form, a checkbox, a message)", "evidence")
			return
		}
		if in.Purpose != "" {
			in.Purposes = append(in.Purposes, in.Purpose)
		}
		if len(in.Purposes) == 0 {
			in.Purposes = []string{consent.Marketing}
		}
		if in.Source == "" {
			in.Source = consent.SourceAPI
		}
		if !slices.Contains([]string{consent.SourceAPI, consent.SourceImport, consent.SourceConnector}, in.Source) {
			writeError(w, http.StatusBadRequest, "invalid_consent", fmt.Sprintf("source: want api, import or connector (got %q)", in.Source), "source")
			return
		}
		if in.LawfulBasis == "" {
			in.LawfulBasis = consent.BasisConsent
		}
		if in.Actor == "" {
			in.Actor = "api"
		}
		if in.Channel == "" {
			in.Channel = consent.ChannelWhatsApp
		}
		if k := r.Header.Get("Idempotency-Key"); k != "" && in.DedupeKey == "" {
			in.DedupeKey = k
		}
		ref := r.PathValue("id")
		var phone string
		if strings.HasPrefix(ref, "+") {
			p, err := s.cfg.Policy.Phones.Normalize(ref)
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("id: %v (got %q)", err, ref), "id")
				return
			}
			phone = p
		}
		var id string
		var recorded []consent.Record
		now := time.Now()
		err := s.cfg.Policy.DB.Write(r.Context(), func(tx *store.Tx) error {
			var err error
			recorded = recorded[:0]
			if phone != "" {
				if id, err = s.cfg.Policy.Contacts.ResolveTx(r.Context(), tx, contacts.Profile{Phone: phone}); err != nil {
					return err
				}
			} else if id, err = s.cfg.Policy.Contacts.Ref(r.Context(), ref); err != nil {
				return err
			}
			for _, p := range in.Purposes {
				rec := consent.Record{
					ContactID: id, Channel: in.Channel, Purpose: p, Status: status, LawfulBasis: in.LawfulBasis,
					Source: in.Source, Evidence: in.Evidence, Actor: in.Actor, ExpiresAt: in.ExpiresAt,
				}
				if in.EffectiveAt != nil {
					rec.EffectiveAt = *in.EffectiveAt
				}
				if in.DedupeKey != "" {
					rec.DedupeKey = "api:" + in.DedupeKey + ":" + p
				}
				ok, err := consent.RecordTx(r.Context(), tx, rec, now)
				if err != nil {
					return err
				}
				if ok {
					recorded = append(recorded, rec)
				}
			}
			return nil
		})
		var fe *consent.FieldError
		switch {
		case errors.As(err, &fe):
			writeError(w, http.StatusBadRequest, "invalid_consent", fe.Error(), fe.Field)
			return
		case errors.Is(err, contacts.ErrNotFound):
			writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no contact %q", ref), "id")
			return
		case err != nil:
			s.internal(w, "record consent", err)
			return
		}
		code := http.StatusCreated
		if len(recorded) == 0 {
			w.Header().Set("Idempotent-Replayed", "true")
			code = http.StatusOK
		}
		st, err := consent.Current(r.Context(), s.cfg.Policy.DB.Reader(), id, time.Now())
		if err != nil {
			s.internal(w, "get consent", err)
			return
		}
		writeJSON(w, code, map[string]any{"contact_id": id, "recorded": len(recorded), "state": st})
	}
}

func (s *Server) postHandoff(w http.ResponseWriter, r *http.Request) {
	id, ok := s.contactRef(w, r)
	if !ok {
		return
	}
	var in struct {
		Detail string `json:"detail"`
	}
	if body, ok := s.readBody(w, r); !ok {
		return
	} else if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_body", "malformed body: "+err.Error(), "body")
			return
		}
	}
	qid, created, err := s.cfg.Policy.Handoff.Open(r.Context(), id, handoff.ReasonAPI, in.Detail, "")
	if err != nil {
		s.internal(w, "hand off", err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	writeJSON(w, code, map[string]any{"id": qid, "contact_id": id, "state": handoff.StateOpen, "created": created})
}

func (s *Server) postHandback(w http.ResponseWriter, r *http.Request) {
	id, ok := s.contactRef(w, r)
	if !ok {
		return
	}
	var in struct {
		Agent string `json:"agent"`
	}
	if body, ok := s.readBody(w, r); !ok {
		return
	} else if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_body", "malformed body: "+err.Error(), "body")
			return
		}
	}
	n, err := s.cfg.Policy.Handoff.HandBack(r.Context(), id, in.Agent)
	if err != nil {
		s.internal(w, "hand back", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"contact_id": id, "closed": n, "bot": "resumed"})
}

func (s *Server) listHandoffs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state != "" && !slices.Contains([]string{handoff.StateOpen, handoff.StateClaimed, handoff.StateClosed}, state) {
		writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("state: want open, claimed or closed (got %q)", state), "state")
		return
	}
	entries, err := s.cfg.Policy.Handoff.List(r.Context(), state, q.Get("contact_id"), 0)
	if err != nil {
		s.internal(w, "list handoffs", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": entries})
}

func (s *Server) claimHandoff(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Agent string `json:"agent"`
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Agent == "" {
		writeError(w, http.StatusBadRequest, "invalid_body", `want {"agent": "<name>"}`, "agent")
		return
	}
	err := s.cfg.Policy.Handoff.Claim(r.Context(), r.PathValue("id"), in.Agent)
	switch {
	case errors.Is(err, handoff.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no queue entry %q", r.PathValue("id")), "id")
	case errors.Is(err, handoff.ErrClosed):
		writeError(w, http.StatusConflict, "closed", "the conversation was already handed back", "id")
	case err != nil:
		s.internal(w, "claim", err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "state": handoff.StateClaimed, "agent": in.Agent})
	}
}
