// Package zendesktest is a fake of the parts of the Zendesk Support API the
// zendesk connector calls, for tests: read a user and the current user,
// list tickets by external_id, create a ticket (with Idempotency-Key) and
// add a comment. It checks what the real API would refuse (the Basic
// "{email}/token:{api_token}" credentials, unknown fields and missing
// required ones in request bodies, updates to closed tickets) and answers
// in Zendesk's JSON shapes.
//
// Start with New; seed users and tickets with AddUser and AddTicket; read
// what was written with Tickets and Users and what was asked with
// Requests; make the next calls fail with Fail. The plumbing (credentials,
// faults, the request log) is github.com/parley-hub/parley/sdk/fakeapi's.
package zendesktest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-hub/parley/sdk/fakeapi"
)

// Server is a fake Zendesk API. It is safe for concurrent use.
type Server struct {
	*fakeapi.Server

	mu      sync.Mutex
	users   map[int64]User
	tickets map[int64]*Ticket
	idem    map[string]idemEntry
	nextID  int64
}

// User is a Zendesk user. Phone "" is null, as for most Zendesk users.
type User struct {
	ID         int64
	Name       string
	Email      string
	Phone      string
	Locale     string
	Role       string // "end-user", "agent" or "admin"
	ExternalID string
}

// Ticket is a ticket as the fake stores it.
type Ticket struct {
	ID          int64
	Subject     string
	Status      string
	Priority    string
	ExternalID  string
	Tags        []string
	RequesterID int64
	Comments    []Comment
}

// Comment is a ticket comment.
type Comment struct {
	Body     string
	Public   bool
	AuthorID int64
}

// Fault is a canned failure answered instead of the next matching request
// (see Server.Fail).
type Fault = fakeapi.Fault

type idemEntry struct {
	body     []byte
	ticketID int64
}

// New starts a fake accepting "{email}/token:{apiToken}" and holding the
// API token's agent as user 1. It is closed when the test ends.
func New(t interface{ Cleanup(func()) }, email, apiToken string) *Server {
	s := &Server{
		users:   map[int64]User{1: {ID: 1, Name: "Parley Bot", Email: email, Role: "agent", Locale: "en-US"}},
		tickets: map[int64]*Ticket{},
		idem:    map[string]idemEntry{},
		nextID:  5000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/users/me", s.me)
	mux.HandleFunc("GET /api/v2/users/{id}", s.getUser)
	mux.HandleFunc("POST /api/v2/users/create_or_update", s.createOrUpdateUser)
	mux.HandleFunc("GET /api/v2/tickets", s.listTickets)
	mux.HandleFunc("POST /api/v2/tickets", s.createTicket)
	mux.HandleFunc("PUT /api/v2/tickets/{id}", s.updateTicket)
	s.Server = fakeapi.New(t, mux, fakeapi.Options{
		Authorization: "Basic " + base64.StdEncoding.EncodeToString([]byte(email+"/token:"+apiToken)),
		TrimSuffix:    ".json",
		Refuse:        refuse,
	})
	return s
}

// AddUser stores a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Role == "" {
		u.Role = "end-user"
	}
	s.users[u.ID] = u
}

// AddTicket stores a ticket.
func (s *Server) AddTicket(t Ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Status == "" {
		t.Status = "open"
	}
	s.tickets[t.ID] = &t
}

// Tickets returns copies of every ticket, by id.
func (s *Server) Tickets() map[int64]Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]Ticket, len(s.tickets))
	for id, t := range s.tickets {
		c := *t
		c.Comments = slices.Clone(t.Comments)
		c.Tags = slices.Clone(t.Tags)
		out[id] = c
	}
	return out
}

// Users returns every user, by id.
func (s *Server) Users() map[int64]User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]User, len(s.users))
	for id, u := range s.users {
		out[id] = u
	}
	return out
}

// refuse answers what fakeapi refuses in Zendesk's error shape.
func refuse(w http.ResponseWriter, status int, why fakeapi.Refusal) {
	switch why {
	case fakeapi.Unauthenticated:
		fakeapi.WriteJSON(w, status, map[string]any{"error": "Couldn't authenticate you"})
	case fakeapi.NotJSON:
		fakeapi.WriteJSON(w, status, map[string]any{"error": "InvalidContentType"})
	default:
		fakeapi.WriteJSON(w, status, map[string]any{"error": "FaultInjected", "description": fmt.Sprintf("fault injected: %d", status)})
	}
}

func userJSON(u User) map[string]any {
	var phone any
	if u.Phone != "" {
		phone = u.Phone
	}
	return map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "phone": phone, "locale": u.Locale, "role": u.Role, "external_id": nilIfEmpty(u.ExternalID)}
}

func ticketJSON(t *Ticket) map[string]any {
	var ext any
	if t.ExternalID != "" {
		ext = t.ExternalID
	}
	return map[string]any{
		"id": t.ID, "url": fmt.Sprintf("https://fake.zendesk.com/api/v2/tickets/%d.json", t.ID),
		"subject": t.Subject, "status": t.Status, "priority": nilIfEmpty(t.Priority), "external_id": ext,
		"tags": t.Tags, "requester_id": t.RequesterID,
	}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := s.users[1]
	s.mu.Unlock()
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	u, ok := s.users[id]
	s.mu.Unlock()
	if err != nil || !ok {
		fakeapi.WriteJSON(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound", "description": "Not found"})
		return
	}
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
}

// createOrUpdateUser matches a user by external_id, then email; it updates
// the fields given, or creates an end user, which needs a name.
func (s *Server) createOrUpdateUser(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req struct {
		User *struct {
			Name       *string `json:"name"`
			Email      string  `json:"email"`
			Phone      string  `json:"phone"`
			ExternalID string  `json:"external_id"`
		} `json:"user"`
	}
	if err := fakeapi.DecodeStrict(bytes.NewReader(raw), &req); err != nil || req.User == nil {
		invalid(w, fmt.Sprintf("want {\"user\":{…}}: %v", err))
		return
	}
	in := req.User
	if in.ExternalID == "" && in.Email == "" {
		invalid(w, "external_id or email is required to create or update a user")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var id int64
	for uid, u := range s.users {
		if in.ExternalID != "" && u.ExternalID == in.ExternalID || in.Email != "" && u.Email == in.Email {
			id = uid
			break
		}
	}
	status := http.StatusOK
	if id == 0 {
		if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
			invalid(w, "Name: is too short (minimum is 1 character)")
			return
		}
		s.nextID++
		id, status = s.nextID, http.StatusCreated
		s.users[id] = User{ID: id, Role: "end-user"}
	}
	u := s.users[id]
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.Email != "" {
		u.Email = in.Email
	}
	if in.Phone != "" {
		u.Phone = in.Phone
	}
	if in.ExternalID != "" {
		u.ExternalID = in.ExternalID
	}
	s.users[id] = u
	fakeapi.WriteJSON(w, status, map[string]any{"user": userJSON(u)})
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	ext := r.URL.Query().Get("external_id")
	s.mu.Lock()
	var ids []int64
	for id, t := range s.tickets {
		if ext == "" || t.ExternalID == ext {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	list := []any{}
	for _, id := range ids {
		list = append(list, ticketJSON(s.tickets[id]))
	}
	s.mu.Unlock()
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"tickets": list, "count": len(list), "next_page": nil, "previous_page": nil})
}

type commentIn struct {
	Body     string `json:"body"`
	HTMLBody string `json:"html_body"`
	Public   *bool  `json:"public"`
	AuthorID *int64 `json:"author_id"`
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req struct {
		Ticket *struct {
			Subject   string     `json:"subject"`
			Comment   *commentIn `json:"comment"`
			Requester *struct {
				Name     string `json:"name"`
				Email    string `json:"email"`
				Phone    string `json:"phone"`
				LocaleID int    `json:"locale_id"`
			} `json:"requester"`
			RequesterID int64    `json:"requester_id"`
			ExternalID  string   `json:"external_id"`
			Tags        []string `json:"tags"`
			Priority    string   `json:"priority"`
			Status      string   `json:"status"`
		} `json:"ticket"`
	}
	if err := fakeapi.DecodeStrict(bytes.NewReader(raw), &req); err != nil || req.Ticket == nil {
		invalid(w, fmt.Sprintf("want {\"ticket\":{…}}: %v", err))
		return
	}
	in := req.Ticket
	switch {
	case in.Comment == nil || strings.TrimSpace(in.Comment.Body+in.Comment.HTMLBody) == "":
		invalid(w, "ticket.comment.body is required")
		return
	case in.Requester == nil && in.RequesterID == 0:
		invalid(w, "ticket.requester or ticket.requester_id is required")
		return
	case in.Requester != nil && in.Requester.Name == "" && in.Requester.Email == "":
		invalid(w, "requester: a new user needs a name")
		return
	case in.Priority != "" && !slices.Contains([]string{"low", "normal", "high", "urgent"}, in.Priority):
		invalid(w, "priority: invalid")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if e, ok := s.idem[key]; ok {
			if !bytes.Equal(e.body, raw) {
				fakeapi.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "IdempotentRequestError", "description": "Idempotency-Key was used with a different request"})
				return
			}
			w.Header().Set("X-Idempotency-Lookup", "hit")
			fakeapi.WriteJSON(w, http.StatusCreated, map[string]any{"ticket": ticketJSON(s.tickets[e.ticketID])})
			return
		}
		w.Header().Set("X-Idempotency-Lookup", "miss")
	}
	reqID := in.RequesterID
	if in.Requester != nil {
		reqID = s.findOrCreateUser(in.Requester.Name, in.Requester.Email, in.Requester.Phone)
	} else if _, ok := s.users[reqID]; !ok {
		invalid(w, "requester_id: no such user")
		return
	}
	s.nextID++
	public := in.Comment.Public == nil || *in.Comment.Public
	author := reqID
	if in.Comment.AuthorID != nil {
		author = *in.Comment.AuthorID
	}
	t := &Ticket{ID: s.nextID, Subject: in.Subject, Status: "new", Priority: in.Priority, ExternalID: in.ExternalID,
		Tags: in.Tags, RequesterID: reqID, Comments: []Comment{{Body: in.Comment.Body, Public: public, AuthorID: author}}}
	if in.Status != "" {
		t.Status = in.Status
	}
	s.tickets[t.ID] = t
	if key != "" {
		s.idem[key] = idemEntry{body: raw, ticketID: t.ID}
	}
	fakeapi.WriteJSON(w, http.StatusCreated, map[string]any{"ticket": ticketJSON(t), "audit": map[string]any{"id": s.nextID * 10}})
}

// findOrCreateUser matches a requester by email, then phone; else creates
// an end user. The caller holds s.mu.
func (s *Server) findOrCreateUser(name, email, phone string) int64 {
	for id, u := range s.users {
		if email != "" && u.Email == email || email == "" && phone != "" && u.Phone == phone {
			return id
		}
	}
	s.nextID++
	s.users[s.nextID] = User{ID: s.nextID, Name: name, Email: email, Phone: phone, Role: "end-user"}
	return s.nextID
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req struct {
		Ticket *struct {
			Comment *commentIn `json:"comment"`
			Status  string     `json:"status"`
		} `json:"ticket"`
	}
	if err := fakeapi.DecodeStrict(bytes.NewReader(raw), &req); err != nil || req.Ticket == nil {
		invalid(w, fmt.Sprintf("want {\"ticket\":{…}}: %v", err))
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		fakeapi.WriteJSON(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound", "description": "Not found"})
		return
	}
	if t.Status == "closed" {
		fakeapi.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": "Record validation errors",
			"details": map[string]any{"status": []any{map[string]any{"description": "Status: closed prevents ticket update"}}}})
		return
	}
	if c := req.Ticket.Comment; c != nil {
		if strings.TrimSpace(c.Body+c.HTMLBody) == "" {
			invalid(w, "comment.body is required")
			return
		}
		author := int64(1)
		if c.AuthorID != nil {
			if _, ok := s.users[*c.AuthorID]; !ok {
				invalid(w, "comment.author_id: no such user")
				return
			}
			author = *c.AuthorID
		}
		t.Comments = append(t.Comments, Comment{Body: c.Body, Public: c.Public == nil || *c.Public, AuthorID: author})
	}
	if req.Ticket.Status != "" {
		t.Status = req.Ticket.Status
	}
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"ticket": ticketJSON(t), "audit": map[string]any{"id": id * 100}})
}

func invalid(w http.ResponseWriter, msg string) {
	fakeapi.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": msg})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
