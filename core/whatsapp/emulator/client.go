package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Control is a client of a running emulator's control API (/_emulator/),
// for tests and for `parley emulator say`. Its methods are safe for
// concurrent use; errors from the server are *ControlError (ErrControl).
type Control struct {
	// BaseURL is the emulator's root, such as "http://127.0.0.1:8089".
	BaseURL string
	// HTTPClient makes the calls. Default http.DefaultClient.
	HTTPClient *http.Client
}

// Say simulates the customer from (named name) sending text and returns
// the inbound message's wamid.
func (c *Control) Say(ctx context.Context, from, name, text string) (string, error) {
	return c.Receive(ctx, Inbound{From: from, Name: name, Text: text})
}

// Receive simulates any inbound message and returns its wamid.
func (c *Control) Receive(ctx context.Context, in Inbound) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, "/_emulator/inbound", in, &out)
	return out.ID, err
}

// Messages lists the messages the emulator accepted that match q.
func (c *Control) Messages(ctx context.Context, q MessageQuery) (MessageList, error) {
	v := url.Values{}
	for k, s := range map[string]string{"to": q.To, "type": q.Type, "status": q.Status, "direction": q.Direction} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/_emulator/messages"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out MessageList
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// Stats returns the emulator's counters.
func (c *Control) Stats(ctx context.Context) (Stats, error) {
	var out Stats
	err := c.do(ctx, http.MethodGet, "/_emulator/stats", nil, &out)
	return out, err
}

// SetFaults replaces the fault settings and returns them as applied.
func (c *Control) SetFaults(ctx context.Context, f Faults) (Faults, error) {
	var out Faults
	err := c.do(ctx, http.MethodPost, "/_emulator/faults", f, &out)
	return out, err
}

// SetTemplateStatus applies a template status event (APPROVED, PAUSED ...).
func (c *Control) SetTemplateStatus(ctx context.Context, name, language, status string) error {
	path := "/_emulator/templates/" + url.PathEscape(name) + "/" + url.PathEscape(language) + "/status"
	return c.do(ctx, http.MethodPost, path, map[string]string{"status": status}, nil)
}

// SetRecipient sets a user's simulated state.
func (c *Control) SetRecipient(ctx context.Context, r Recipient) error {
	return c.do(ctx, http.MethodPost, "/_emulator/recipients", r, nil)
}

// SetWebhookURL points the emulator's webhooks at u.
func (c *Control) SetWebhookURL(ctx context.Context, u string) error {
	return c.do(ctx, http.MethodPost, "/_emulator/webhook", map[string]string{"url": u}, nil)
}

// Reset resets the emulator.
func (c *Control) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/_emulator/reset", nil, nil)
}

func (c *Control) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("emulator control %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("emulator control %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("emulator control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("emulator control %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Error.Message == "" {
			e.Error.Message = trimLen(strings.TrimSpace(string(b)), 200)
		}
		return &ControlError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("emulator control %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}
