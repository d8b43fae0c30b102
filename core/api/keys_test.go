package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
)

// now is the clock of the key tests.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// The raw keys of the tests; keyFor gives each route's scoped key.
const (
	adminKey   = "admin-key"
	expiredKey = "expired-key"
	earlyKey   = "early-key"
	wrongKey   = "no-such-key"
)

func scopedKey(s Scope) string { return "key-for-" + string(s) }

func testKeys() []Key {
	keys := []Key{
		{Name: "admin", Hash: config.HashAPIKey(adminKey), Scopes: []Scope{ScopeAdmin}},
		{Name: "old", Hash: config.HashAPIKey(expiredKey), Scopes: []Scope{ScopeAdmin}, ExpiresAt: now},
		{Name: "next", Hash: config.HashAPIKey(earlyKey), Scopes: []Scope{ScopeAdmin}, NotBefore: now.Add(time.Second)},
	}
	for _, s := range Scopes {
		if s != ScopeAdmin {
			keys = append(keys, Key{Name: string(s), Hash: config.HashAPIKey(scopedKey(s)), Scopes: []Scope{s},
				NotBefore: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)})
		}
	}
	return keys
}

// handlerRan is the status of the stub handlers: the request got through.
const handlerRan = 299

// stubbed returns a server whose every route is served (each optional part
// configured) and answered by a stub, and its route table.
func stubbed(t *testing.T, log *slog.Logger) (*Server, []route) {
	t.Helper()
	stub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(handlerRan) })
	s, err := New(Config{Keys: testKeys(), Now: func() time.Time { return now }, Log: log,
		Direct: &Direct{}, Webhook: stub, Connectors: stub, Plugins: fakePlugins{}, Policy: &Policy{},
		DeadLetters: &fakeDLQ{}, Metrics: stub})
	if err != nil {
		t.Fatal(err)
	}
	routes := s.routes()
	for i := range routes {
		if routes[i].handler == nil {
			t.Fatalf("route %s is not served although every part is configured", routes[i].pattern)
		}
		routes[i].handler = stub
	}
	return s, routes
}

// request builds a request matching pattern.
func request(pattern string) *http.Request {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodPost, pattern
	}
	path = strings.NewReplacer("{id}", "1", "{name}", "shop", "{rest...}", "a/b").Replace(path)
	if path == "/v1/" {
		method, path = http.MethodGet, "/v1/no-such-thing"
	}
	return httptest.NewRequest(method, path, strings.NewReader("{}"))
}

// otherScope is a scope that is not s (and not admin).
func otherScope(s Scope) Scope {
	if s == ScopeEventsWrite {
		return ScopeMessagesRead
	}
	return ScopeEventsWrite
}

// TestRouteAccess: every route of the table × every kind of key. Public
// routes need no key; a route with a scope refuses a missing, unknown,
// expired or not yet valid key with 401 and a key without its scope with
// 403 naming the scope; the key with the scope and admin get through; the
// /v1/ fallback takes any valid key.
func TestRouteAccess(t *testing.T) {
	t.Parallel()
	s, routes := stubbed(t, nil)
	h := s.serve(routes)
	type want struct {
		code      int
		errCode   string
		challenge string // substring of WWW-Authenticate
		scope     Scope
	}
	for _, rt := range routes {
		unauthorized := func(challenge string) want {
			return want{http.StatusUnauthorized, "unauthorized", challenge, ""}
		}
		cases := []struct {
			name string
			key  string
			want want
		}{
			{"no key", "", unauthorized(`Bearer realm="parley"`)},
			{"wrong key", wrongKey, unauthorized(`error="invalid_token", error_description="unknown API key"`)},
			{"expired key", expiredKey, unauthorized(`error_description="API key expired"`)},
			{"key not valid yet", earlyKey, unauthorized(`error_description="API key not valid yet"`)},
			{"key without the scope", scopedKey(otherScope(rt.scope)), want{http.StatusForbidden, "insufficient_scope",
				`error="insufficient_scope", scope="` + string(rt.scope) + `"`, rt.scope}},
			{"key with the scope", scopedKey(rt.scope), want{code: handlerRan}},
			{"admin key", adminKey, want{code: handlerRan}},
		}
		for _, tc := range cases {
			switch {
			case rt.scope == public:
				tc.want = want{code: handlerRan} // no key is checked, whatever is sent
			case rt.scope == anyKey && (tc.name == "key without the scope" || tc.name == "key with the scope"):
				tc.want = want{code: handlerRan}
				tc.key = scopedKey(ScopeDLQRead)
			}
			t.Run(rt.pattern+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				req := request(rt.pattern)
				if tc.key != "" {
					req.Header.Set("Authorization", "Bearer "+tc.key)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tc.want.code {
					t.Fatalf("%s %s = %d %s; want %d", req.Method, req.URL.Path, rec.Code, rec.Body, tc.want.code)
				}
				if tc.want.code == handlerRan {
					return
				}
				var body ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("body %s: %v", rec.Body, err)
				}
				if body.Error.Code != tc.want.errCode || Scope(body.Error.Scope) != tc.want.scope || body.Error.Message == "" {
					t.Errorf("error %+v; want code %s naming scope %q", body.Error, tc.want.errCode, tc.want.scope)
				}
				if tc.want.scope != "" && !strings.Contains(body.Error.Message, string(tc.want.scope)) {
					t.Errorf("403 message %q does not name the scope %s", body.Error.Message, tc.want.scope)
				}
				if ch := rec.Header().Get("WWW-Authenticate"); !strings.Contains(ch, tc.want.challenge) {
					t.Errorf("WWW-Authenticate %q; want it to contain %q", ch, tc.want.challenge)
				}
			})
		}
	}
}

// TestRouteTable checks the table itself: patterns are unique, every scope
// but admin guards some route, and the scopes are those config accepts.
func TestRouteTable(t *testing.T) {
	t.Parallel()
	_, routes := stubbed(t, nil)
	seen := map[string]bool{}
	used := map[Scope]bool{}
	for _, rt := range routes {
		if seen[rt.pattern] {
			t.Errorf("pattern %s twice", rt.pattern)
		}
		seen[rt.pattern] = true
		used[rt.scope] = true
		if rt.scope != public && strings.HasPrefix(rt.pattern, "/webhooks") {
			t.Errorf("%s needs an API key; webhook senders have none", rt.pattern)
		}
		if rt.scope == public && strings.Contains(rt.pattern, "/v1/") {
			t.Errorf("%s is public", rt.pattern)
		}
	}
	for _, s := range Scopes {
		if s != ScopeAdmin && !used[s] {
			t.Errorf("scope %s guards no route", s)
		}
	}
	f, _ := reflect.TypeFor[config.KeyHash]().FieldByName("Scopes")
	var want []string
	for _, s := range Scopes {
		want = append(want, string(s))
	}
	if got := strings.Split(f.Tag.Get("enum"), "|"); !slices.Equal(got, want) {
		t.Errorf("config accepts scopes %v; the API has %v", got, want)
	}
}

// TestKeyRotation: a new key added with not_before and the old one given
// an expires_at overlap; each works in its own window.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	cutover := now
	clock := cutover.Add(-2 * time.Hour)
	s, err := New(Config{Now: func() time.Time { return clock }, Keys: []Key{
		{Name: "old", Hash: config.HashAPIKey("old-key"), Scopes: []Scope{ScopeAdmin}, ExpiresAt: cutover},
		{Name: "new", Hash: config.HashAPIKey("new-key"), Scopes: []Scope{ScopeAdmin}, NotBefore: cutover.Add(-time.Hour)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	status := func(key string) int {
		req := httptest.NewRequest("GET", "/v1/nothing", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, step := range []struct {
		at       time.Time
		old, new int
	}{
		{cutover.Add(-2 * time.Hour), 404, 401},
		{cutover.Add(-time.Hour), 404, 404}, // the overlap
		{cutover.Add(-time.Millisecond), 404, 404},
		{cutover, 401, 404},
	} {
		clock = step.at
		if o, n := status("old-key"), status("new-key"); o != step.old || n != step.new {
			t.Errorf("at %s: old key %d, new key %d; want %d, %d", step.at.Format(time.RFC3339Nano), o, n, step.old, step.new)
		}
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	t.Parallel()
	for name, k := range map[string]Key{
		"bad hash":      {Name: "a", Hash: "sha256:zz", Scopes: []Scope{ScopeAdmin}},
		"unknown scope": {Name: "a", Hash: config.HashAPIKey("x"), Scopes: []Scope{"events:read"}},
	} {
		if _, err := New(Config{Keys: []Key{k}}); err == nil {
			t.Errorf("%s: New accepted %+v", name, k)
		}
	}
}

// TestRequestLog: each request is logged with its route, status, duration,
// correlation id and key name, and never with the key, the query string or
// the path of a matched route (it may hold a phone number).
func TestRequestLog(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	s, routes := stubbed(t, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h := s.serve(routes)

	req := httptest.NewRequest("GET", "/v1/contacts/+16505551234?token=query-secret", nil)
	req.Header.Set("Authorization", "Bearer "+scopedKey(ScopeContactsRead))
	req.Header.Set(CorrelationHeader, "corr-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get(CorrelationHeader) != "corr-42" {
		t.Errorf("correlation id not echoed: %q", rec.Header().Get(CorrelationHeader))
	}
	req = httptest.NewRequest("GET", "/webhooks/whatsapp?hub.verify_token=verify-secret", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get(CorrelationHeader); len(got) < 32 {
		t.Errorf("no generated correlation id: %q", got)
	}

	var lines []map[string]any
	for l := range bytes.Lines(buf.Bytes()) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d log lines; want 2:\n%s", len(lines), buf.Bytes())
	}
	first := lines[0]
	for k, v := range map[string]any{"msg": "http request", "level": "DEBUG", "method": "GET", "route": "GET /v1/contacts/{id}",
		"status": float64(handlerRan), "correlation_id": "corr-42", "api_key": "contacts:read"} {
		if first[k] != v {
			t.Errorf("log %s = %v; want %v", k, first[k], v)
		}
	}
	if _, ok := first["duration_ms"]; !ok {
		t.Error("log has no duration_ms")
	}
	for _, secret := range []string{scopedKey(ScopeContactsRead), "query-secret", "verify-secret", "16505551234", "Bearer"} {
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Errorf("log shows %q:\n%s", secret, buf.Bytes())
		}
	}
}
