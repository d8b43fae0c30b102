package emulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

const (
	testToken  = "test-access-token"
	testSecret = "test-app-secret"
	testPhone  = "+16505551234"
	testWaID   = "16505551234"
)

// post is one webhook POST as the receiver saw it.
type post struct {
	body    []byte
	sig     string
	payload whatsapp.WebhookPayload
}

// receiver is a webhook endpoint that records what it gets and answers
// with respond(n) for the n-th POST (0-based; default 200).
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	posts    []post   // acknowledged POSTs
	attempts [][]byte // every POST body, answered 200 or not
	n        int
	respond  func(n int) int
	// verify, when set, answers Meta's GET handshake for this token.
	verify string
	gets   atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet {
		r.gets.Add(1)
		q := req.URL.Query()
		if q.Get("hub.mode") == "subscribe" && r.verify != "" && q.Get("hub.verify_token") == r.verify {
			_, _ = io.WriteString(w, q.Get("hub.challenge"))
			return
		}
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := r.n
	r.n++
	r.attempts = append(r.attempts, body)
	status := http.StatusOK
	if r.respond != nil {
		status = r.respond(n)
	}
	if status == http.StatusOK {
		var p whatsapp.WebhookPayload
		_ = json.Unmarshal(body, &p)
		r.posts = append(r.posts, post{body: body, sig: req.Header.Get("X-Hub-Signature-256"), payload: p})
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

// snapshot returns the acknowledged POSTs so far.
func (r *receiver) snapshot() []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]post(nil), r.posts...)
}

// statuses returns every status received, in arrival order.
func (r *receiver) statuses(t *testing.T) []whatsapp.Status {
	t.Helper()
	var out []whatsapp.Status
	for _, p := range r.snapshot() {
		for _, en := range p.payload.Entry {
			for _, ch := range en.Changes {
				if ch.Field != "messages" {
					continue
				}
				var v whatsapp.MessagesValue
				if err := json.Unmarshal(ch.Value, &v); err != nil {
					t.Fatalf("decode messages value: %v", err)
				}
				out = append(out, v.Statuses...)
			}
		}
	}
	return out
}

// statusesOf returns the statuses of one message.
func (r *receiver) statusesOf(t *testing.T, wamid string) []whatsapp.Status {
	t.Helper()
	var out []whatsapp.Status
	for _, s := range r.statuses(t) {
		if s.ID == wamid {
			out = append(out, s)
		}
	}
	return out
}

// changes returns every change of the given field, in arrival order.
func (r *receiver) changes(field string) []whatsapp.Change {
	var out []whatsapp.Change
	for _, p := range r.snapshot() {
		for _, en := range p.payload.Entry {
			for _, ch := range en.Changes {
				if ch.Field == field {
					out = append(out, ch)
				}
			}
		}
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// harness is a started emulator behind an httptest server, with a receiver.
type harness struct {
	e   *Emulator
	srv *httptest.Server
	rcv *receiver
}

// testConfig is a fast config: tiny latencies and back-off.
func testConfig(webhook string) Config {
	return Config{
		WebhookURL:          webhook,
		AccessToken:         testToken,
		AppSecret:           testSecret,
		StatusLatency:       time.Millisecond,
		ReadAfter:           time.Millisecond,
		WebhookBatchWindow:  time.Millisecond,
		RedeliveryBackoff:   Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		TemplateReviewDelay: time.Millisecond,
	}
}

func newHarness(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{rcv: newReceiver(t)}
	cfg := testConfig(h.rcv.srv.URL + "/webhook")
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.e = e
	h.srv = httptest.NewServer(e.Handler())
	t.Cleanup(h.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := e.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return h
}

// do makes a Graph call with the access token.
func (h *harness) do(t *testing.T, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	return h.doAuth(t, method, path, body, "Bearer "+testToken)
}

func (h *harness) doAuth(t *testing.T, method, path string, body any, auth string) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

const sendPath = "/v23.0/" + DefaultPhoneNumberID + "/messages"

// send posts a message and returns the HTTP status and body.
func (h *harness) send(t *testing.T, body any) (int, []byte) {
	t.Helper()
	status, out, _ := h.do(t, http.MethodPost, sendPath, body)
	return status, out
}

// mustSend sends and returns the wamid, failing unless the answer is 200.
func (h *harness) mustSend(t *testing.T, body any) string {
	t.Helper()
	status, out := h.send(t, body)
	if status != http.StatusOK {
		t.Fatalf("send: HTTP %d %s", status, out)
	}
	var resp whatsapp.SendResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.Messages) != 1 {
		t.Fatalf("send response %s: %v", out, err)
	}
	return resp.Messages[0].ID
}

func (h *harness) say(t *testing.T, from string) string {
	t.Helper()
	id, err := h.e.Say(context.Background(), from, "Sheena Nelson", "Does it come in another color?")
	if err != nil {
		t.Fatalf("Say: %v", err)
	}
	return id
}

func text(to, body string) map[string]any {
	return map[string]any{"messaging_product": "whatsapp", "to": to, "type": "text", "text": map[string]any{"body": body}}
}

func tmpl(to, name, lang string, comps ...map[string]any) map[string]any {
	t := map[string]any{"name": name, "language": map[string]any{"code": lang}}
	if len(comps) > 0 {
		t["components"] = comps
	}
	return map[string]any{"messaging_product": "whatsapp", "to": to, "type": "template", "template": t}
}

func bodyParams(values ...string) map[string]any {
	ps := make([]map[string]any, len(values))
	for i, v := range values {
		ps[i] = map[string]any{"type": "text", "text": v}
	}
	return map[string]any{"type": "body", "parameters": ps}
}

// verifySig checks an X-Hub-Signature-256 the way a receiver must.
func verifySig(secret string, body []byte, header string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(header))
}

// fakeClock is a settable Clock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration)     { c.ns.Add(int64(d)) }
func (c *fakeClock) Set(at time.Time)        { c.ns.Store(at.UnixNano()) }
func (c *fakeClock) Since(t time.Time) int64 { return c.ns.Load() - t.UnixNano() }
