package hubspot

import (
	"bytes"
	"context"
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

// APIError is a HubSpot API answer that is neither a success nor
// retryable (429 and 5xx come wrapped in sdk.RetryableError instead).
type APIError struct {
	Method, Path string
	Status       int
	Category     string // HubSpot's error category, such as "OBJECT_NOT_FOUND"
	Message      string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("hubspot %s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// client calls the HubSpot CRM API with a bearer token.
type client struct {
	base  string
	token string
	http  *http.Client
}

// contactProperties are read for every contact the connector looks at.
var contactProperties = []string{"phone", "mobilephone", "firstname", "lastname", "email", "hs_language"}

// crmObject is a CRM object as the v3 API returns it. Properties the object
// lacks are null, read as "".
type crmObject struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// getContact reads one contact; a missing one is an *APIError with Status 404.
func (c *client) getContact(ctx context.Context, id string) (*crmObject, error) {
	q := url.Values{"properties": {strings.Join(contactProperties, ",")}}
	var out crmObject
	if err := c.do(ctx, http.MethodGet, "/crm/v3/objects/contacts/"+url.PathEscape(id)+"?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// searchByPhone finds contacts whose phone or mobilephone is exactly one
// of values (two filter groups, OR-ed, each an IN filter). HubSpot stores
// phones as typed, so the caller passes the usual renderings of one number
// (see phoneRenderings). Search is eventually consistent: a contact created
// seconds ago may not be found yet.
func (c *client) searchByPhone(ctx context.Context, values []string) ([]crmObject, int, error) {
	type filter struct {
		PropertyName string   `json:"propertyName"`
		Operator     string   `json:"operator"`
		Values       []string `json:"values"`
	}
	type group struct {
		Filters []filter `json:"filters"`
	}
	body := map[string]any{
		"filterGroups": []group{
			{Filters: []filter{{"mobilephone", "IN", values}}},
			{Filters: []filter{{"phone", "IN", values}}},
		},
		"properties": contactProperties,
		"limit":      10,
	}
	var out struct {
		Total   int         `json:"total"`
		Results []crmObject `json:"results"`
	}
	if err := c.do(ctx, http.MethodPost, "/crm/v3/objects/contacts/search", body, &out); err != nil {
		return nil, 0, err
	}
	return out.Results, out.Total, nil
}

// noteToContact is HubSpot's association type id for note → contact.
const noteToContact = 202

// createNote creates a note associated with a contact and returns its id.
func (c *client) createNote(ctx context.Context, contactID, body string, at time.Time) (string, error) {
	req := map[string]any{
		"properties": map[string]string{
			"hs_timestamp": at.UTC().Format(time.RFC3339Nano),
			"hs_note_body": body,
		},
		"associations": []any{map[string]any{
			"to":    map[string]string{"id": contactID},
			"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": noteToContact}},
		}},
	}
	var out crmObject
	if err := c.do(ctx, http.MethodPost, "/crm/v3/objects/notes", req, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("hubspot POST /crm/v3/objects/notes: answer has no id")
	}
	return out.ID, nil
}

// ping checks the token with the cheapest authenticated read.
func (c *client) ping(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/crm/v3/objects/contacts?limit=1", nil, nil)
}

// do sends one request. 429 and 5xx answers and transport failures are
// sdk.RetryableError (After from Retry-After); other non-2xx answers are
// *APIError.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("hubspot %s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("hubspot %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("hubspot %s %s: %w", method, path, ctx.Err())
		}
		return sdk.RetryableError{Err: fmt.Errorf("hubspot %s %s: %w", method, path, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return sdk.RetryableError{Err: fmt.Errorf("hubspot %s %s: read answer: %w", method, path, err)}
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message  string `json:"message"`
			Category string `json:"category"`
		}
		_ = json.Unmarshal(raw, &e)
		apiErr := &APIError{Method: method, Path: strings.SplitN(path, "?", 2)[0], Status: resp.StatusCode, Category: e.Category, Message: e.Message}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return sdk.RetryableError{Err: apiErr, After: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("hubspot %s %s: decode answer: %w", method, path, err)
	}
	return nil
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

// isNotFound reports whether err is a 404 from the API.
func isNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}
