package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/rest"
)

// seen is what the test server received.
type seen struct {
	Method, Path, Query, Auth, Accept, ContentType, Extra, Body string
}

func newAPI(t *testing.T, answer func(w http.ResponseWriter)) (*rest.Client, *seen) {
	t.Helper()
	got := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Accept"),
			r.Header.Get("Content-Type"), r.Header.Get("X-Extra"), string(b)}
		answer(w)
	}))
	t.Cleanup(srv.Close)
	return &rest.Client{
		API: "acme", BaseURL: srv.URL, HTTP: srv.Client(),
		Header: http.Header{"Authorization": {"Bearer tok"}},
		ErrorBody: func(b []byte) (string, string) {
			var e struct{ Code, Message string }
			_ = json.Unmarshal(b, &e)
			return e.Code, e.Message
		},
	}, got
}

func answer(status int, header map[string]string, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestDoSuccess(t *testing.T) {
	t.Parallel()
	c, got := newAPI(t, answer(201, map[string]string{"X-Id": "7"}, `{"id":"n1"}`))
	var out struct{ ID string }
	h, err := c.Do(t.Context(), http.MethodPost, "/v1/notes?x=1", http.Header{"X-Extra": {"e"}}, map[string]string{"body": "hi"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := seen{"POST", "/v1/notes", "x=1", "Bearer tok", "application/json", "application/json", "e", `{"body":"hi"}`}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if out.ID != "n1" || h.Get("X-Id") != "7" {
		t.Errorf("out %+v, header %v", out, h)
	}

	if _, err := c.Do(t.Context(), http.MethodGet, "/v1/ping", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got.ContentType != "" || got.Body != "" {
		t.Errorf("a request without a body sent Content-Type %q and body %q", got.ContentType, got.Body)
	}
}

func TestDoErrors(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		answer     func(http.ResponseWriter)
		retryable  func(int) bool
		wantRetry  bool
		wantAfter  func(time.Duration) bool
		wantStatus int
		wantErr    string
	}{
		{"429 with seconds", answer(429, map[string]string{"Retry-After": "7"}, `{"code":"RATE","message":"slow down"}`), nil,
			true, func(d time.Duration) bool { return d == 7*time.Second }, 429, "acme GET /v1/x: 429 slow down"},
		{"503 with a date", answer(503, map[string]string{"Retry-After": future}, ``), nil,
			true, func(d time.Duration) bool { return d > 59*time.Minute && d <= time.Hour }, 503, "acme GET /v1/x: 503 Service Unavailable"},
		{"404", answer(404, nil, `{"code":"NOT_FOUND","message":"no such x"}`), nil,
			false, nil, 404, "acme GET /v1/x: 404 no such x"},
		{"409 retryable by choice", answer(409, nil, `{}`), func(s int) bool { return s == 409 || rest.RetryableStatus(s) },
			true, func(d time.Duration) bool { return d == 0 }, 409, "acme GET /v1/x: 409 Conflict"},
		{"undecodable success", answer(200, nil, `{"id":`), nil,
			false, nil, 0, "acme GET /v1/x: decode answer: unexpected end of JSON input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newAPI(t, tc.answer)
			c.Retryable = tc.retryable
			var out map[string]any
			_, err := c.Do(t.Context(), http.MethodGet, "/v1/x?secret=s", nil, nil, &out)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			after, retry := sdk.IsRetryable(err)
			if retry != tc.wantRetry || (retry && !tc.wantAfter(after)) {
				t.Errorf("retryable = %v after %s, want %v", retry, after, tc.wantRetry)
			}
			var apiErr *rest.Error
			if got := errors.As(err, &apiErr); got != (tc.wantStatus != 0) || (got && !rest.StatusIs(err, tc.wantStatus)) {
				t.Errorf("*rest.Error: %v (%+v), want status %d", got, apiErr, tc.wantStatus)
			}
			if tc.name == "404" && apiErr.Code != "NOT_FOUND" {
				t.Errorf("Code = %q", apiErr.Code)
			}
		})
	}
}

func TestDoTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := &rest.Client{API: "acme", BaseURL: srv.URL}
	_, err := c.Do(t.Context(), http.MethodGet, "/v1/x", nil, nil, nil)
	if _, ok := sdk.IsRetryable(err); !ok || !strings.HasPrefix(err.Error(), "acme GET /v1/x: ") {
		t.Errorf("a refused connection: got %v, want retryable, naming the call", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Do(ctx, http.MethodGet, "/v1/x", nil, nil, nil)
	if _, ok := sdk.IsRetryable(err); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled call: got %v, want context.Canceled, not retryable", err)
	}
	_, err = c.Do(t.Context(), http.MethodPost, "/v1/x", nil, func() {}, nil)
	if err == nil || !strings.Contains(err.Error(), "encode") {
		t.Errorf("an unencodable body: got %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		" 30 ":                          30 * time.Second,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Fri, 01 May 2026 10:02:00 GMT": 2 * time.Minute,
		"Fri, 01 May 2026 09:00:00 GMT": 0,
	}
	for in, want := range cases {
		if got := rest.RetryAfter(in, now); got != want {
			t.Errorf("RetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}
