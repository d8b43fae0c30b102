// Package fakeapi is the plumbing of a fake vendor API for a connector's
// tests: an httptest server that checks the credentials a real API would,
// refuses a JSON API's write without a JSON Content-Type, logs every
// request and answers queued faults (a 429 with Retry-After, a 503...)
// instead of the next matching requests. A vendor's fake embeds a *Server
// and adds the vendor's endpoints and error shapes:
//
//	type Server struct {
//		*fakeapi.Server
//		mu       sync.Mutex
//		contacts map[string]Contact
//	}
//
//	func New(t testing.TB, token string) *Server {
//		s := &Server{contacts: map[string]Contact{}}
//		mux := http.NewServeMux()
//		mux.HandleFunc("GET /v1/contacts/{id}", s.getContact)
//		s.Server = fakeapi.New(t, mux, fakeapi.Options{Authorization: "Bearer " + token, Refuse: refuse})
//		return s
//	}
//
// A test then points the connector at s.URL, makes calls fail with
// s.Fail(fakeapi.Fault{Path: "/v1/contacts/", Status: 429, RetryAfter: "7"})
// and checks what reached the API with s.Requests(). It imports only the
// standard library.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// Refusal says why the Server refused a request before the vendor's
// handler saw it.
type Refusal int

const (
	// Unauthenticated: the Authorization header is not Options.Authorization (401).
	Unauthenticated Refusal = iota + 1
	// NotJSON: a POST, PUT or PATCH without Content-Type application/json (415).
	NotJSON
	// Injected: a Fault queued with Fail (its Status).
	Injected
)

func (r Refusal) String() string {
	switch r {
	case Unauthenticated:
		return "unauthenticated"
	case NotJSON:
		return "not JSON"
	case Injected:
		return "fault injected"
	default:
		return fmt.Sprintf("Refusal(%d)", int(r))
	}
}

// Options configures a Server.
type Options struct {
	// Authorization is the Authorization header value every request must
	// carry; "" accepts any.
	Authorization string
	// TrimSuffix is removed from every request's path first, for APIs
	// that accept an optional suffix (Zendesk's ".json").
	TrimSuffix string
	// Refuse writes the vendor's error answer with status for a refused
	// request. nil writes {"error": why.String()}.
	Refuse func(w http.ResponseWriter, status int, why Refusal)
}

// Fault is a canned failure answered, once, instead of the next matching
// request.
type Fault struct {
	Method     string // "" matches any
	Path       string // a path prefix; "" matches all
	Status     int
	RetryAfter string // the Retry-After header value, if any
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	*httptest.Server
	opts Options

	mu       sync.Mutex
	requests []string
	faults   []Fault
}

// New starts a server answering with h what passes its checks. It is
// closed when the test ends.
func New(t interface{ Cleanup(func()) }, h http.Handler, opts Options) *Server {
	s := &Server{opts: opts}
	s.Server = httptest.NewServer(s.middleware(h))
	t.Cleanup(s.Close)
	return s
}

// Requests returns "METHOD /path" for every request received so far, in
// order, refused ones included.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Fail queues faults: each answers the next request it matches, once,
// instead of the normal answer. A request with the wrong credentials is
// refused before any fault is used.
func (s *Server) Fail(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// takeFault removes and returns the first fault matching r.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.Path) {
			s.faults = slices.Delete(s.faults, i, i+1)
			return f, true
		}
	}
	return Fault{}, false
}

func (s *Server) refuse(w http.ResponseWriter, status int, why Refusal) {
	if s.opts.Refuse != nil {
		s.opts.Refuse(w, status, why)
		return
	}
	WriteJSON(w, status, map[string]any{"error": why.String()})
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.TrimSuffix != "" {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, s.opts.TrimSuffix)
		}
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		if s.opts.Authorization != "" && r.Header.Get("Authorization") != s.opts.Authorization {
			s.refuse(w, http.StatusUnauthorized, Unauthenticated)
			return
		}
		if f, ok := s.takeFault(r); ok {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			s.refuse(w, f.Status, Injected)
			return
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				s.refuse(w, http.StatusUnsupportedMediaType, NotJSON)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeStrict decodes one JSON value from r into v, refusing fields v
// does not have, as strict APIs do: a fake built on it catches a connector
// sending a misspelt field.
func DecodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// InProcess is an http.RoundTripper that calls a handler directly, without
// a socket: for fuzz targets, where a server's connection goroutines make
// coverage flaky and the fuzzer slow.
type InProcess struct{ Handler http.Handler }

// RoundTrip serves r with the handler and returns the recorded response.
func (p InProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	p.Handler.ServeHTTP(rec, r)
	return rec.Result(), nil
}
