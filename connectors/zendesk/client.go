package zendesk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-hub/parley/sdk/rest"
)

// APIError is a Zendesk API answer that is neither a success nor
// retryable (409, 429 and 5xx come wrapped in sdk.RetryableError instead).
// Its Message is Zendesk's error and description, when it sent them.
type APIError = rest.Error

// client calls the Zendesk Support API with an API token.
type client struct{ rest.Client }

func newClient(cfg *config, transport http.RoundTripper) *client {
	cred := base64.StdEncoding.EncodeToString([]byte(cfg.email + "/token:" + cfg.apiToken))
	return &client{rest.Client{
		API:     "zendesk",
		BaseURL: cfg.apiBase,
		Header:  http.Header{"Authorization": {"Basic " + cred}},
		HTTP:    &http.Client{Timeout: cfg.requestTimeout, Transport: transport},
		// 409 is Zendesk's answer to concurrent updates of one ticket.
		Retryable: func(status int) bool { return status == http.StatusConflict || rest.RetryableStatus(status) },
		ErrorBody: func(raw []byte) (string, string) { return "", errorMessage(raw) },
	}}
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
	if _, err := c.Do(ctx, http.MethodGet, "/api/v2/users/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

func (c *client) me(ctx context.Context) (*user, error) {
	var out struct {
		User user `json:"user"`
	}
	if _, err := c.Do(ctx, http.MethodGet, "/api/v2/users/me", nil, nil, &out); err != nil {
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
	if _, err := c.Do(ctx, http.MethodPost, "/api/v2/users/create_or_update", nil, map[string]any{"user": u}, &out); err != nil {
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
	if _, err := c.Do(ctx, http.MethodGet, "/api/v2/tickets?"+q.Encode(), nil, nil, &out); err != nil {
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
	rh, err := c.Do(ctx, http.MethodPost, "/api/v2/tickets", h, map[string]any{"ticket": t}, &out)
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
	if _, err := c.Do(ctx, http.MethodPut, "/api/v2/tickets/"+url.PathEscape(ticketID), nil, body, &out); err != nil {
		return nil, err
	}
	return &out.Ticket, nil
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
