package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	appSecret   = "0123456789abcdef0123456789abcdef"
	verifyToken = "parley-verify-7f3a"
)

// fakeSink records what the Receiver handed it.
type fakeSink struct {
	mu         sync.Mutex
	acceptErr  error
	rejectErr  error
	accepted   [][]byte
	receivedAt []time.Time
	rejected   [][]byte
	reasons    []string
}

func (s *fakeSink) Accept(_ context.Context, raw []byte, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted = append(s.accepted, raw)
	s.receivedAt = append(s.receivedAt, at)
	return s.acceptErr
}

func (s *fakeSink) Reject(_ context.Context, raw []byte, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, raw)
	s.reasons = append(s.reasons, reason)
	return s.rejectErr
}

var fixedNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newTestReceiver(t *testing.T, sink *fakeSink, mod ...func(*ReceiverConfig)) (*Receiver, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cfg := ReceiverConfig{
		AppSecret: appSecret, VerifyToken: verifyToken, Sink: sink,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Now:    func() time.Time { return fixedNow },
	}
	for _, m := range mod {
		m(&cfg)
	}
	rc, err := NewReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rc, &logs
}

func TestReceiverHandshake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		query      string
		wantStatus int
		wantBody   string
		wantType   string
	}{
		{"ok", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + verifyToken, 200, "1158201444", "text/plain; charset=utf-8"},
		{"challenge echoed byte for byte", "hub.mode=subscribe&hub.challenge=%3Cscript%3E%20%C3%A9&hub.verify_token=" + verifyToken, 200, "<script> é", "text/plain; charset=utf-8"},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess", 403, "", "application/json"},
		{"token prefix", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=parley", 403, "", "application/json"},
		{"no token", "hub.mode=subscribe&hub.challenge=1158201444", 403, "", "application/json"},
		{"wrong mode", "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=" + verifyToken, 403, "", "application/json"},
		{"no challenge", "hub.mode=subscribe&hub.verify_token=" + verifyToken, 403, "", "application/json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sink := &fakeSink{}
			rc, logs := newTestReceiver(t, sink)
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhooks/whatsapp?"+c.query, nil))
			if w.Code != c.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, c.wantStatus)
			}
			if got := w.Header().Get("Content-Type"); got != c.wantType {
				t.Errorf("Content-Type = %q", got)
			}
			if c.wantStatus == 200 && w.Body.String() != c.wantBody {
				t.Errorf("body = %q, want %q", w.Body.String(), c.wantBody)
			}
			if c.wantStatus != 200 {
				assertErrorCode(t, w.Body.Bytes(), "verification_failed")
			}
			if strings.Contains(logs.String(), verifyToken) {
				t.Errorf("verify token logged: %s", logs)
			}
			if len(sink.accepted)+len(sink.rejected) != 0 {
				t.Errorf("sink called on GET")
			}
		})
	}
}

func assertErrorCode(t *testing.T, body []byte, code string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error body = %s, want code %q", body, code)
	}
}

// escapedBody has escaped Unicode: a re-serialised copy has other bytes and
// another signature.
var escapedBody = readTestdata("testdata/webhooks/inbound-escaped-unicode.json")

func readTestdata(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return b
}

func TestReceiverPost(t *testing.T) {
	t.Parallel()
	status := readTestdata("testdata/webhooks/status-sent.json")
	if !bytes.Contains(escapedBody, []byte(`\u00e9`)) {
		t.Fatal("testdata lost its escapes")
	}
	var generic any
	_ = json.Unmarshal(escapedBody, &generic)
	reserialised, _ := json.Marshal(generic)

	cases := []struct {
		name        string
		body        []byte
		sig         string
		noSig       bool
		contentLen  int64 // -1: unknown length (chunked)
		acceptErr   error
		wantStatus  int
		wantCode    string
		wantAccept  bool
		wantReject  string // reason
		maxBodySize int64
	}{
		{name: "valid", body: status, sig: Sign(appSecret, status), wantStatus: 200, wantAccept: true},
		{name: "valid escaped unicode", body: escapedBody, sig: Sign(appSecret, escapedBody), wantStatus: 200, wantAccept: true},
		{name: "uppercase hex accepted", body: status, sig: "sha256=" + strings.ToUpper(Sign(appSecret, status)[7:]), wantStatus: 200, wantAccept: true},
		{name: "signature of the re-serialised body", body: escapedBody, sig: Sign(appSecret, reserialised), wantStatus: 401, wantCode: "invalid_signature", wantReject: ErrSignatureMismatch.Error()},
		{name: "forged with another secret", body: status, sig: Sign("not-the-secret", status), wantStatus: 401, wantCode: "invalid_signature", wantReject: ErrSignatureMismatch.Error()},
		{name: "body altered", body: append(bytes.Clone(status), ' '), sig: Sign(appSecret, status), wantStatus: 401, wantCode: "invalid_signature", wantReject: ErrSignatureMismatch.Error()},
		{name: "missing signature", body: status, noSig: true, wantStatus: 401, wantCode: "invalid_signature", wantReject: ErrSignatureMissing.Error()},
		{name: "sha1 only", body: status, sig: "sha1=0123456789abcdef0123456789abcdef01234567", wantStatus: 401, wantCode: "invalid_signature", wantReject: ErrSignatureMalformed.Error()},
		{name: "not hex", body: status, sig: "sha256=zz", wantStatus: 401, wantCode: "invalid_signature", wantReject: ErrSignatureMalformed.Error() + ": want 32 hex bytes"},
		{name: "accept fails", body: status, sig: Sign(appSecret, status), acceptErr: errors.New("disk full"), wantStatus: 500, wantCode: "not_stored", wantAccept: true},
		{name: "too large by Content-Length", body: bytes.Repeat([]byte("x"), 2048), sig: "sha256=00", maxBodySize: 1024, wantStatus: 413, wantCode: "body_too_large"},
		{name: "too large while reading", body: bytes.Repeat([]byte("x"), 2048), sig: "sha256=00", contentLen: -1, maxBodySize: 1024, wantStatus: 413, wantCode: "body_too_large"},
		{name: "at the limit", body: status, sig: Sign(appSecret, status), maxBodySize: int64(len(status)), wantStatus: 200, wantAccept: true},
		{name: "malformed JSON is still stored", body: []byte(`{"object":`), sig: Sign(appSecret, []byte(`{"object":`)), wantStatus: 200, wantAccept: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sink := &fakeSink{acceptErr: c.acceptErr}
			rc, logs := newTestReceiver(t, sink, func(cfg *ReceiverConfig) { cfg.MaxBodyBytes = c.maxBodySize })
			req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", bytes.NewReader(c.body))
			if c.contentLen == -1 {
				req.ContentLength = -1
				req.Body = io.NopCloser(bytes.NewReader(c.body))
			}
			req.Header.Set("Content-Type", "application/json")
			if !c.noSig {
				req.Header.Set(SignatureHeader, c.sig)
			}
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, req)

			if w.Code != c.wantStatus {
				t.Errorf("status = %d, want %d (%s)", w.Code, c.wantStatus, w.Body)
			}
			if c.wantCode != "" {
				assertErrorCode(t, w.Body.Bytes(), c.wantCode)
			}
			if c.wantAccept {
				if len(sink.accepted) != 1 || !bytes.Equal(sink.accepted[0], c.body) {
					t.Errorf("Accept got %q, want the exact body", sink.accepted)
				} else if !sink.receivedAt[0].Equal(fixedNow) {
					t.Errorf("receivedAt = %v", sink.receivedAt[0])
				}
			} else if len(sink.accepted) != 0 {
				t.Errorf("Accept called %d times", len(sink.accepted))
			}
			if c.wantReject != "" {
				if diff := cmp.Diff([]string{c.wantReject}, sink.reasons); diff != "" {
					t.Errorf("Reject reasons (-want +got):\n%s", diff)
				}
				if len(sink.rejected) == 1 && !bytes.Equal(sink.rejected[0], c.body) {
					t.Errorf("Reject did not get the exact body")
				}
			} else if len(sink.rejected) != 0 {
				t.Errorf("Reject called: %v", sink.reasons)
			}
			if strings.Contains(logs.String(), appSecret) || (len(c.body) > 20 && strings.Contains(logs.String(), string(c.body[:20]))) {
				t.Errorf("secret or body logged: %s", logs)
			}
		})
	}
}

func TestReceiverRejectFailureStill401(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{rejectErr: errors.New("db down")}
	rc, logs := newTestReceiver(t, sink)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	req.Header.Set(SignatureHeader, Sign("wrong", []byte(`{}`)))
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	if w.Code != 401 || len(sink.accepted) != 0 || !strings.Contains(logs.String(), "db down") {
		t.Errorf("status %d, accepted %d, logs %s", w.Code, len(sink.accepted), logs)
	}
}

func TestReceiverMethods(t *testing.T) {
	t.Parallel()
	rc, _ := newTestReceiver(t, &fakeSink{})
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPatch} {
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, httptest.NewRequest(m, "/", nil))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, POST" {
			t.Errorf("%s: %d %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

// TestReceiverOverHTTP runs the receiver behind a real server, as Meta
// reaches it, including concurrent deliveries.
func TestReceiverOverHTTP(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	rc, _ := newTestReceiver(t, sink)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(escapedBody))
			req.Header.Set(SignatureHeader, Sign(appSecret, escapedBody))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if len(sink.accepted) != 20 {
		t.Errorf("accepted %d", len(sink.accepted))
	}
}

func TestNewReceiverConfig(t *testing.T) {
	t.Parallel()
	_, err := NewReceiver(ReceiverConfig{MaxBodyBytes: -1})
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	if diff := cmp.Diff([]string{"AppSecret", "VerifyToken", "Sink", "MaxBodyBytes"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	rc, err := NewReceiver(ReceiverConfig{AppSecret: "s", VerifyToken: "v", Sink: &fakeSink{}})
	if err != nil {
		t.Fatal(err)
	}
	if rc.cfg.MaxBodyBytes != 3<<20 || rc.cfg.Logger == nil || rc.cfg.Now == nil {
		t.Errorf("defaults = %+v", rc.cfg)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published test vector.
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	body := []byte("The quick brown fox jumps over the lazy dog")
	if got := Sign("key", body); got != want {
		t.Errorf("Sign = %s", got)
	}
	if err := VerifySignature("key", body, want); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for header, wantErr := range map[string]error{
		"":                         ErrSignatureMissing,
		"sha256":                   ErrSignatureMalformed,
		"md5=" + want[7:]:          ErrSignatureMalformed,
		"sha256=" + want[7:20]:     ErrSignatureMalformed,
		"SHA256=" + want[7:]:       nil,
		"sha256=" + want[8:] + "0": ErrSignatureMismatch,
	} {
		if err := VerifySignature("key", body, header); !errors.Is(err, wantErr) {
			t.Errorf("VerifySignature(%q) = %v, want %v", header, err, wantErr)
		}
	}
}
