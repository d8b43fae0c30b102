package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk/rest"
)

// APIError is a HubSpot API answer that is neither a success nor
// retryable (429 and 5xx come wrapped in sdk.RetryableError instead). Its
// Code is HubSpot's error category, such as "OBJECT_NOT_FOUND".
type APIError = rest.Error

// client calls the HubSpot CRM API with a bearer token.
type client struct{ rest.Client }

func newClient(cfg *config, transport http.RoundTripper) *client {
	return &client{rest.Client{
		API:       "hubspot",
		BaseURL:   cfg.apiBase,
		Header:    http.Header{"Authorization": {"Bearer " + cfg.accessToken}},
		HTTP:      &http.Client{Timeout: cfg.requestTimeout, Transport: transport},
		ErrorBody: errorBody,
	}}
}

// errorBody reads HubSpot's error shape: {"status":"error","message":…,
// "category":"OBJECT_NOT_FOUND","correlationId":…}.
func errorBody(raw []byte) (category, message string) {
	var e struct {
		Message  string `json:"message"`
		Category string `json:"category"`
	}
	_ = json.Unmarshal(raw, &e)
	return e.Category, e.Message
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
	if _, err := c.Do(ctx, http.MethodGet, "/crm/v3/objects/contacts/"+url.PathEscape(id)+"?"+q.Encode(), nil, nil, &out); err != nil {
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
	if _, err := c.Do(ctx, http.MethodPost, "/crm/v3/objects/contacts/search", nil, body, &out); err != nil {
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
	if _, err := c.Do(ctx, http.MethodPost, "/crm/v3/objects/notes", nil, req, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("hubspot POST /crm/v3/objects/notes: answer has no id")
	}
	return out.ID, nil
}

// ping checks the token with the cheapest authenticated read.
func (c *client) ping(ctx context.Context) error {
	_, err := c.Do(ctx, http.MethodGet, "/crm/v3/objects/contacts?limit=1", nil, nil, nil)
	return err
}
