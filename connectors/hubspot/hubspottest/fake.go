// Package hubspottest is a fake of the parts of the HubSpot CRM API the
// hubspot connector calls, for tests: read a contact, search contacts, list
// contacts (the health check) and create a note. It checks what the real
// API would refuse (the bearer token, the shape of search filters and of
// note associations) and answers in HubSpot's JSON shapes.
//
// Start with New; seed contacts with AddContact; read what was created
// with Notes and what was asked with Requests; make the next calls fail
// with Fail. The plumbing (credentials, faults, the request log) is
// github.com/parley-hub/parley/sdk/fakeapi's.
package hubspottest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-hub/parley/sdk/fakeapi"
)

// Server is a fake HubSpot API. It is safe for concurrent use.
type Server struct {
	*fakeapi.Server

	mu       sync.Mutex
	contacts map[string]map[string]string
	notes    []Note
	nextID   int
}

// Note is a note the fake created.
type Note struct {
	ID        string
	ContactID string
	Body      string
	Timestamp time.Time
}

// Fault is a canned failure answered instead of the next matching request
// (see Server.Fail).
type Fault = fakeapi.Fault

// New starts a fake that accepts only "Bearer "+token. It is closed when
// the test ends.
func New(t interface{ Cleanup(func()) }, token string) *Server {
	s := &Server{contacts: map[string]map[string]string{}, nextID: 9000}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/v3/objects/contacts/{id}", s.getContact)
	mux.HandleFunc("GET /crm/v3/objects/contacts", s.listContacts)
	mux.HandleFunc("POST /crm/v3/objects/contacts/search", s.search)
	mux.HandleFunc("POST /crm/v3/objects/notes", s.createNote)
	s.Server = fakeapi.New(t, mux, fakeapi.Options{Authorization: "Bearer " + token, Refuse: refuse})
	return s
}

// AddContact stores a contact with the given properties (phone,
// mobilephone, firstname, lastname, email, hs_language...).
func (s *Server) AddContact(id string, props map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[id] = props
}

// Notes returns the notes created so far.
func (s *Server) Notes() []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes)
}

// refuse answers what fakeapi refuses in HubSpot's error shape.
func refuse(w http.ResponseWriter, status int, why fakeapi.Refusal) {
	switch why {
	case fakeapi.Unauthenticated:
		writeError(w, status, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
	case fakeapi.NotJSON:
		writeError(w, status, "VALIDATION_ERROR", "Content-Type must be application/json")
	default:
		writeError(w, status, "RATE_LIMITS", fmt.Sprintf("fault injected: %d", status))
	}
}

// object is a CRM object in the API's shape: every requested property
// present, null when unset.
func object(id string, props map[string]string, want []string) map[string]any {
	p := map[string]any{"hs_object_id": id}
	for _, k := range want {
		if v, ok := props[k]; ok && v != "" {
			p[k] = v
		} else {
			p[k] = nil
		}
	}
	return map[string]any{"id": id, "properties": p, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-04-01T00:00:00Z", "archived": false}
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var want []string
	if p := r.URL.Query().Get("properties"); p != "" {
		want = strings.Split(p, ",")
	}
	s.mu.Lock()
	props, ok := s.contacts[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found")
		return
	}
	fakeapi.WriteJSON(w, http.StatusOK, object(id, props, want))
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"results": []any{}})
}

type filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	Values       []string `json:"values,omitempty"`
}

// matches applies one EQ or IN filter: an exact, case-sensitive match, as
// HubSpot does for a free-text property such as phone.
func (f filter) matches(props map[string]string) bool {
	v, ok := props[f.PropertyName]
	if !ok || v == "" {
		return false
	}
	if f.Operator == "IN" {
		return slices.Contains(f.Values, v)
	}
	return v == f.Value
}

// search supports what the connector sends: filter groups (OR-ed) of EQ or
// IN filters (AND-ed), within HubSpot's limits.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FilterGroups []struct {
			Filters []filter `json:"filters"`
		} `json:"filterGroups"`
		Properties []string `json:"properties"`
		Limit      int      `json:"limit"`
	}
	if err := fakeapi.DecodeStrict(r.Body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", err.Error())
		return
	}
	total := 0
	for _, g := range req.FilterGroups {
		total += len(g.Filters)
		if len(g.Filters) == 0 || len(g.Filters) > 6 {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "a filter group needs 1 to 6 filters")
			return
		}
		for _, f := range g.Filters {
			eq := f.Operator == "EQ" && f.Value != "" && f.Values == nil
			in := f.Operator == "IN" && f.Value == "" && len(f.Values) > 0
			if f.PropertyName == "" || !eq && !in {
				writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "the fake supports EQ (with value) and IN (with values) filters on a property")
				return
			}
		}
	}
	if len(req.FilterGroups) == 0 || len(req.FilterGroups) > 5 || total > 18 || req.Limit < 1 || req.Limit > 200 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "1 to 5 filter groups, at most 18 filters, limit 1 to 200")
		return
	}
	s.mu.Lock()
	var ids []string
	for id, props := range s.contacts {
		for _, g := range req.FilterGroups {
			if !slices.ContainsFunc(g.Filters, func(f filter) bool { return !f.matches(props) }) {
				ids = append(ids, id)
				break
			}
		}
	}
	slices.Sort(ids)
	results := []any{}
	for i, id := range ids {
		if i < req.Limit {
			results = append(results, object(id, s.contacts[id], req.Properties))
		}
	}
	s.mu.Unlock()
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"total": len(ids), "results": results})
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Properties   map[string]string `json:"properties"`
		Associations []struct {
			To struct {
				ID string `json:"id"`
			} `json:"to"`
			Types []struct {
				AssociationCategory string `json:"associationCategory"`
				AssociationTypeID   int    `json:"associationTypeId"`
			} `json:"types"`
		} `json:"associations"`
	}
	if err := fakeapi.DecodeStrict(r.Body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", err.Error())
		return
	}
	ts, err := parseTimestamp(req.Properties["hs_timestamp"])
	if err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "hs_timestamp: "+err.Error())
		return
	}
	body := req.Properties["hs_note_body"]
	if len([]rune(body)) > 65536 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "hs_note_body is longer than 65536 characters")
		return
	}
	if len(req.Associations) != 1 || len(req.Associations[0].Types) != 1 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "the fake wants exactly one association with one type")
		return
	}
	a := req.Associations[0]
	if a.Types[0].AssociationCategory != "HUBSPOT_DEFINED" || a.Types[0].AssociationTypeID != 202 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "note to contact is HUBSPOT_DEFINED type 202")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.contacts[a.To.ID]; !ok {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "contact "+a.To.ID+" does not exist")
		return
	}
	s.nextID++
	n := Note{ID: strconv.Itoa(s.nextID), ContactID: a.To.ID, Body: body, Timestamp: ts}
	s.notes = append(s.notes, n)
	fakeapi.WriteJSON(w, http.StatusCreated, map[string]any{"id": n.ID, "properties": req.Properties, "archived": false})
}

// parseTimestamp accepts what hs_timestamp accepts: epoch milliseconds or
// ISO 8601 UTC.
func parseTimestamp(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("is required")
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither epoch milliseconds nor ISO 8601", v)
	}
	return t.UTC(), nil
}

func writeError(w http.ResponseWriter, status int, category, msg string) {
	fakeapi.WriteJSON(w, status, map[string]any{"status": "error", "message": msg, "category": category, "correlationId": "00000000-fake"})
}
