// Package rest calls a vendor's JSON HTTP API from a connector, mapping its
// answers to errors the hub understands: a 429 or 5xx answer (or another
// status the Client calls retryable), a transport failure and an answer
// cut short are sdk.RetryableError, waiting what Retry-After asks; any
// other non-2xx answer is an *Error carrying the status and the vendor's
// message. It imports only the standard library and the sdk package.
//
//	api := &rest.Client{API: "acme", BaseURL: "https://api.acme.example",
//		Header: http.Header{"Authorization": {"Bearer " + token}},
//		HTTP:   &http.Client{Timeout: 10 * time.Second}}
//	var out struct{ ID string }
//	_, err := api.Do(ctx, http.MethodPost, "/v1/notes", nil, map[string]any{"body": "hi"}, &out)
//	if rest.StatusIs(err, http.StatusNotFound) { ... }
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// maxAnswer bounds the answer body read, so a runaway answer cannot exhaust
// the plugin's memory.
const maxAnswer = 4 << 20

// Client calls one JSON HTTP API. Set it up once, then use it from any
// number of goroutines; its fields must not change after the first call.
type Client struct {
	// API names the API in errors, such as "hubspot".
	API string
	// BaseURL is prepended to every request path, such as
	// "https://api.hubapi.com" (no trailing slash).
	BaseURL string
	// Header is sent with every request, typically Authorization. The
	// Client sets Accept, and Content-Type when there is a body.
	Header http.Header
	// HTTP sends the requests; nil means http.DefaultClient. Give it a
	// Timeout.
	HTTP *http.Client
	// Retryable reports whether a non-2xx status is a temporary failure;
	// nil means RetryableStatus (429 and 5xx).
	Retryable func(status int) bool
	// ErrorBody reads the vendor's error body into the Code and Message
	// of *Error; nil leaves them empty.
	ErrorBody func(body []byte) (code, message string)
}

// Error is an API answer that is neither a success nor retryable. (A
// retryable one comes as an sdk.RetryableError wrapping an *Error.)
type Error struct {
	API          string // Client.API
	Method, Path string // Path is without its query
	Status       int
	Code         string // the vendor's error code or category, if it sent one
	Message      string // the vendor's error message, if it sent one
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s %s: %d %s", e.API, e.Method, e.Path, e.Status, msg)
}

// StatusIs reports whether err is, or wraps, an *Error (retryable or not)
// with one of the statuses.
func StatusIs(err error, statuses ...int) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, s := range statuses {
		if e.Status == s {
			return true
		}
	}
	return false
}

// RetryableStatus is the default Client.Retryable: 429 Too Many Requests
// and every 5xx.
func RetryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// Do sends one request to BaseURL+path, with the Client's Header and then
// h (which may be nil). in, when not nil, is sent as the JSON body; out,
// when not nil, receives the JSON answer. It returns the answer's header.
//
// A transport failure or an answer that cannot be read is an
// sdk.RetryableError, and so is a status Retryable accepts (an
// sdk.RetryableError wrapping an *Error, After taken from Retry-After).
// Any other non-2xx answer is an *Error. When ctx ends first, the error
// wraps ctx.Err() and is not retryable.
func (c *Client) Do(ctx context.Context, method, path string, h http.Header, in, out any) (http.Header, error) {
	short, _, _ := strings.Cut(path, "?")
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s %s %s: "+format, append([]any{c.API, method, short}, args...)...)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fail("encode: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, fail("%w", err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fail("%w", ctx.Err())
		}
		return nil, sdk.RetryableError{Err: fail("%w", err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, sdk.RetryableError{Err: fail("read answer: %w", err)}
	}
	if resp.StatusCode/100 != 2 {
		apiErr := &Error{API: c.API, Method: method, Path: short, Status: resp.StatusCode}
		if c.ErrorBody != nil {
			apiErr.Code, apiErr.Message = c.ErrorBody(raw)
		}
		retryable := c.Retryable
		if retryable == nil {
			retryable = RetryableStatus
		}
		if retryable(resp.StatusCode) {
			return nil, sdk.RetryableError{Err: apiErr, After: RetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		}
		return nil, apiErr
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fail("decode answer: %w", err)
		}
	}
	return resp.Header, nil
}

// RetryAfter reads a Retry-After header value, delay-seconds or an HTTP
// date, as a wait from now; 0 when it is absent, malformed or past.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
