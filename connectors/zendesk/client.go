package zendesk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// APIError is a Zendesk API answer that is neither a success nor
// retryable (409, 429 and 5xx come wrapped in sdk.RetryableError instead).
type APIError struct {
	Method, Path string
	Status       int
	Message      string // Zendesk's error and description, when it sent them
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("zendesk %s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// client calls the Zendesk Support API with an API token.
type client struct {
	base string
	auth string // the Authorization header value
	http *http.Client
}

func newClient(cfg *config, transport http.RoundTripper) *client {
	cred := base64.StdEncoding.EncodeToString([]byte(cfg.email + "/token:" + cfg.apiToken))
	return &client{base: cfg.apiBase, auth: "Basic " + cred, http: &http.Client{Timeout: cfg.requestTimeout, Transport: transport}}
}

// user is the part of a Zendesk user the connector reads.
type user struct {
	ID     json.Number `json:"id"`
	Name   string      `json:"name"`
	Email  string      `json:"email"`
	Phone  string      `json:"phone"`
	Locale string      `json:"locale"`
}

// ticket is the part of a Zendesk ticket the connector reads.
type ticket struct {
	ID         json.Number `json:"id"`
	Status     string      `json:"status"`
	ExternalID string      `json:"external_id"`
	URL        string      `json:"url"`
}

func (c *client) getUser(ctx context.Context, id string) (*user, error) {
	var out struct {
		User user `json:"user"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/api/v2/users/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

func (c *client) me(ctx context.Context) (*user, error) {
	var out struct {
		User user `json:"user"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/api/v2/users/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// upsertUser finds the user with externalID (or creates one) and sets its
// phone, and its name when name is set, with POST
// /api/v2/users/create_or_update. Zendesk refuses a new user without a
// name (422); the caller retries with one.
func (c *client) upsertUser(ctx context.Context, name, phone, externalID string) (*user, error) {
	u := map[string]string{"phone": phone, "external_id": externalID}
	if name != "" {
		u["name"] = name
	}
	var out struct {
		User user `json:"user"`
	}
	if _, err := c.do(ctx, http.MethodPost, "/api/v2/users/create_or_update", nil, map[string]any{"user": u}, &out); err != nil {
		return nil, err
	}
	if out.User.ID == "" {
		return nil, fmt.Errorf("zendesk POST /api/v2/users/create_or_update: answer has no user id")
	}
	return &out.User, nil
}

// ticketByExternalID returns the oldest ticket with the external id, or nil.
func (c *client) ticketByExternalID(ctx context.Context, externalID string) (*ticket, error) {
	var out struct {
		Tickets []ticket `json:"tickets"`
	}
	q := url.Values{"external_id": {externalID}}
	if _, err := c.do(ctx, http.MethodGet, "/api/v2/tickets?"+q.Encode(), nil, nil, &out); err != nil {
		return nil, err
	}
	if len(out.Tickets) == 0 {
		return nil, nil
	}
	return &out.Tickets[0], nil
}

// newTicket is the body of POST /api/v2/tickets.
type newTicket struct {
	Subject     string        `json:"subject"`
	Comment     ticketComment `json:"comment"`
	RequesterID json.Number   `json:"requester_id"`
	ExternalID  string        `json:"external_id,omitempty"`
	Tags        []string      `json:"tags,omitempty"`
	Priority    string        `json:"priority,omitempty"`
}

type ticketComment struct {
	Body     string `json:"body"`
	Public   bool   `json:"public"`
	AuthorID *int64 `json:"author_id,omitempty"`
}

// createTicket creates a ticket, passing idemKey as Zendesk's
// Idempotency-Key. replayed is true when Zendesk answered from its
// idempotency store (x-idempotency-lookup: hit).
func (c *client) createTicket(ctx context.Context, t newTicket, idemKey string) (created *ticket, replayed bool, err error) {
	h := http.Header{}
	if idemKey != "" {
		h.Set("Idempotency-Key", idemKey)
	}
	var out struct {
		Ticket ticket `json:"ticket"`
	}
	rh, err := c.do(ctx, http.MethodPost, "/api/v2/tickets", h, map[string]any{"ticket": t}, &out)
	if err != nil {
		return nil, false, err
	}
	return &out.Ticket, strings.EqualFold(rh.Get("X-Idempotency-Lookup"), "hit"), nil
}

// addComment adds a comment to a ticket.
func (c *client) addComment(ctx context.Context, ticketID string, cm ticketComment) (*ticket, error) {
	var out struct {
		Ticket ticket `json:"ticket"`
	}
	body := map[string]any{"ticket": map[string]any{"comment": cm}}
	if _, err := c.do(ctx, http.MethodPut, "/api/v2/tickets/"+url.PathEscape(ticketID), nil, body, &out); err != nil {
		return nil, err
	}
	return &out.Ticket, nil
}

// do sends one request. 409 (Zendesk's answer to concurrent updates), 429
// and 5xx answers, and transport failures, are sdk.RetryableError (After
// from Retry-After); other non-2xx answers are *APIError.
func (c *client) do(ctx context.Context, method, path string, h http.Header, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("zendesk %s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("zendesk %s %s: %w", method, path, err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	shortPath := strings.SplitN(path, "?", 2)[0]
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("zendesk %s %s: %w", method, shortPath, ctx.Err())
		}
		return nil, sdk.RetryableError{Err: fmt.Errorf("zendesk %s %s: %w", method, shortPath, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, sdk.RetryableError{Err: fmt.Errorf("zendesk %s %s: read answer: %w", method, shortPath, err)}
	}
	if resp.StatusCode/100 != 2 {
		apiErr := &APIError{Method: method, Path: shortPath, Status: resp.StatusCode, Message: errorMessage(raw)}
		if resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, sdk.RetryableError{Err: apiErr, After: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		}
		return nil, apiErr
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("zendesk %s %s: decode answer: %w", method, shortPath, err)
		}
	}
	return resp.Header, nil
}

// errorMessage reads Zendesk's error shapes: {"error":"RecordNotFound",
// "description":"Not found"} or {"error":{"title":…,"message":…}}.
func errorMessage(raw []byte) string {
	var e struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"description"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(e.Error, &s) != nil {
		var o struct{ Title, Message string }
		_ = json.Unmarshal(e.Error, &o)
		s = strings.TrimSpace(o.Title + ": " + o.Message)
	}
	return strings.Trim(strings.TrimSpace(s+" "+e.Description), ": ")
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
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

// statusIs reports whether err is an *APIError with one of the statuses.
func statusIs(err error, statuses ...int) bool {
	var e *APIError
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
