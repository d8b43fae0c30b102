package hubspot

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/sdk"
)

func TestLookupContact(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.AddContact("1300000", map[string]string{"firstname": "Mo", "mobilephone": "+16505550000"})
	f.AddContact("1300001", map[string]string{"firstname": "Dot", "phone": "650.555.0001"})
	c := newTestConnector(t, testConfig(f))
	cases := []struct {
		name    string
		phone   any
		want    map[string]any
		wantErr error
	}{
		{"by mobile, written nationally", "(650) 555-0000", map[string]any{
			"found": true, "total": 1, "contact_id": "1300000", "name": "Mo", "firstname": "Mo", "lastname": "",
			"email": "", "phone": "", "mobilephone": "+16505550000", "locale": "",
		}, nil},
		{"not found", "+16505559999", map[string]any{"found": false, "total": 0}, nil},
		{"stored as typed (national), two matches: the first and the total", "+16505551234", map[string]any{
			"found": true, "total": 2, "contact_id": "1246965", "name": "Ana Souza", "firstname": "Ana", "lastname": "Souza",
			"email": "ana.souza@example.com", "phone": "(650) 555-1234", "mobilephone": "+55 11 98765-4321", "locale": "pt-br",
		}, nil},
		{"a rendering outside the usual ones is not found", "+16505550001", map[string]any{"found": false, "total": 0}, nil},
		{"unparseable", "555-555-SHIP", nil, sdk.ErrBadRequest},
		{"missing", nil, nil, sdk.ErrBadRequest},
		{"not a string", true, nil, sdk.ErrBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionLookupContact, IdempotencyKey: "k", Input: map[string]any{"phone": tc.phone}})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Output); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddNote(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxNoteBody+10)
	cases := []struct {
		name      string
		key       string
		input     map[string]any
		fault     *hubspottest.Fault
		wantErr   error
		wantRetry bool
		wantNote  *hubspottest.Note
	}{
		{"by contact id", "k1", map[string]any{"contact_id": "1246965", "body": "Customer: where is my order?", "timestamp": "2026-05-01T10:00:00Z"}, nil, nil, false,
			&hubspottest.Note{ContactID: "1246965", Body: "Customer: where is my order?", Timestamp: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}},
		{"contact id as a number", "k2", map[string]any{"contact_id": json.Number("1246965"), "body": "hi"}, nil, nil, false,
			&hubspottest.Note{ContactID: "1246965", Body: "hi", Timestamp: testNow}},
		{"by phone", "k3", map[string]any{"phone": "+5511987654321", "body": "hi"}, nil, nil, false,
			&hubspottest.Note{ContactID: "1246965", Body: "hi", Timestamp: testNow}},
		{"too long is truncated", "k4", map[string]any{"contact_id": "1246965", "body": long}, nil, nil, false,
			&hubspottest.Note{ContactID: "1246965", Body: string([]rune(long)[:maxNoteBody-12]) + "\n[truncated]", Timestamp: testNow}},
		{"unknown phone", "k5", map[string]any{"phone": "+16505559999", "body": "hi"}, nil, sdk.ErrBadRequest, false, nil},
		{"unknown contact", "k6", map[string]any{"contact_id": "404", "body": "hi"}, nil, sdk.ErrBadRequest, false, nil},
		{"neither id nor phone", "k7", map[string]any{"body": "hi"}, nil, sdk.ErrBadRequest, false, nil},
		{"empty body", "k8", map[string]any{"contact_id": "1246965", "body": "  "}, nil, sdk.ErrBadRequest, false, nil},
		{"bad timestamp", "k9", map[string]any{"contact_id": "1246965", "body": "hi", "timestamp": "yesterday"}, nil, sdk.ErrBadRequest, false, nil},
		{"rate limited", "k10", map[string]any{"contact_id": "1246965", "body": "hi"}, &hubspottest.Fault{Path: "/crm/v3/objects/notes", Status: 429, RetryAfter: "2"}, nil, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			if tc.fault != nil {
				f.Fail(*tc.fault)
			}
			c := newTestConnector(t, testConfig(f))
			res, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionAddNote, IdempotencyKey: tc.key, Input: tc.input})
			if tc.wantRetry {
				if after, ok := sdk.IsRetryable(err); !ok || after != 2*time.Second {
					t.Fatalf("got %v, want retryable after 2s", err)
				}
				return
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				if n := len(f.Notes()); n != 0 {
					t.Errorf("%d notes created", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			notes := f.Notes()
			if len(notes) != 1 {
				t.Fatalf("%d notes, want 1", len(notes))
			}
			want := *tc.wantNote
			want.ID = notes[0].ID
			if diff := cmp.Diff(want, notes[0]); diff != "" {
				t.Errorf("note (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]any{"note_id": notes[0].ID, "contact_id": want.ContactID}, res.Output); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAddNoteIdempotent checks that a retry with the same key creates no
// second note, and another key does.
func TestAddNoteIdempotent(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := newTestConnector(t, testConfig(f))
	call := func(key string) map[string]any {
		res, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionAddNote, IdempotencyKey: key, Input: map[string]any{"contact_id": "1246965", "body": "hi"}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Output
	}
	first, again, other := call("a"), call("a"), call("b")
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("retry answered differently:\n%s", diff)
	}
	if first["note_id"] == other["note_id"] || len(f.Notes()) != 2 {
		t.Errorf("notes %+v: want 2, one per key", f.Notes())
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	if err := newTestConnector(t, testConfig(f)).Health(t.Context()); err != nil {
		t.Errorf("healthy: %v", err)
	}
	cfg := testConfig(f)
	cfg[keyAccessToken] = "revoked"
	err := newTestConnector(t, cfg).Health(t.Context())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("revoked token: got %v, want a 401 *APIError", err)
	}
	if err := New().Health(t.Context()); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	err := New().Configure(t.Context(), sdk.Config{keyWebhookURL: "/relative", keyAPIBaseURL: "ftp://x", keyDefaultRegion: "ZZ", keyRequestTimeout: "-1s"})
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *sdk.ConfigError
		if errors.As(e, &ce) {
			fields = append(fields, ce.Field)
		}
	}
	want := []string{keyClientSecret, keyAccessToken, keyWebhookURL, keyAPIBaseURL, keyDefaultRegion, keyRequestTimeout}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("not ErrBadRequest: %v", err)
	}
}
