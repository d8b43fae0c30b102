package fakeapi_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk/fakeapi"
)

type answer struct {
	Status     int
	RetryAfter string
	Body       string
}

func call(t *testing.T, s *fakeapi.Server, method, path, auth, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), strings.TrimSpace(string(b))}
}

func newServer(t *testing.T, opts fakeapi.Options) *fakeapi.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		fakeapi.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /v1/things", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name string }
		if err := fakeapi.DecodeStrict(r.Body, &in); err != nil {
			fakeapi.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		fakeapi.WriteJSON(w, http.StatusCreated, map[string]string{"name": in.Name})
	})
	return fakeapi.New(t, mux, opts)
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := newServer(t, fakeapi.Options{Authorization: "Bearer ok", TrimSuffix: ".json"})
	const auth, js = "Bearer ok", "application/json"
	s.Fail(fakeapi.Fault{Method: http.MethodPost, Status: 503},
		fakeapi.Fault{Path: "/v1/things/", Status: 429, RetryAfter: "7"})
	steps := []struct {
		name                            string
		method, path, auth, ctype, body string
		want                            answer
	}{
		{"wrong credentials, before any fault", "GET", "/v1/things/1", "Bearer no", "", "", answer{401, "", `{"error":"unauthenticated"}`}},
		{"the first fault matching the path", "GET", "/v1/things/1", auth, "", "", answer{429, "7", `{"error":"fault injected"}`}},
		{"served again once the fault is used", "GET", "/v1/things/1.json", auth, "", "", answer{200, "", `{"id":"1"}`}},
		{"the fault matching the method", "POST", "/v1/things", auth, js, `{"name":"a"}`, answer{503, "", `{"error":"fault injected"}`}},
		{"a write without JSON", "POST", "/v1/things", auth, "text/plain", `{"name":"a"}`, answer{415, "", `{"error":"not JSON"}`}},
		{"an unknown field", "POST", "/v1/things", auth, js, `{"nmae":"a"}`, answer{400, "", `{"error":"json: unknown field \"nmae\""}`}},
		{"a good write", "POST", "/v1/things", auth, js + "; charset=utf-8", `{"name":"a"}`, answer{201, "", `{"name":"a"}`}},
	}
	for _, st := range steps {
		if got := call(t, s, st.method, st.path, st.auth, st.ctype, st.body); got != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
	want := []string{"GET /v1/things/1", "GET /v1/things/1", "GET /v1/things/1", "POST /v1/things", "POST /v1/things", "POST /v1/things", "POST /v1/things"}
	if diff := cmp.Diff(want, s.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestRefuse(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []fakeapi.Refusal
	)
	s := newServer(t, fakeapi.Options{Authorization: "Basic x", Refuse: func(w http.ResponseWriter, status int, why fakeapi.Refusal) {
		mu.Lock()
		got = append(got, why)
		mu.Unlock()
		fakeapi.WriteJSON(w, status, map[string]any{"category": why.String(), "status": status})
	}})
	s.Fail(fakeapi.Fault{Status: 500})
	if a := call(t, s, "GET", "/v1/things/1", "", "", ""); a.Body != `{"category":"unauthenticated","status":401}` {
		t.Errorf("unauthenticated: %+v", a)
	}
	if a := call(t, s, "GET", "/v1/things/1", "Basic x", "", ""); a.Status != 500 {
		t.Errorf("fault: %+v", a)
	}
	if a := call(t, s, "PUT", "/v1/things", "Basic x", "", "{}"); a.Status != 415 {
		t.Errorf("not JSON: %+v", a)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]fakeapi.Refusal{fakeapi.Unauthenticated, fakeapi.Injected, fakeapi.NotJSON}, got); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
	if s := fakeapi.Refusal(9).String(); s != "Refusal(9)" {
		t.Errorf("String() = %q", s)
	}
}
