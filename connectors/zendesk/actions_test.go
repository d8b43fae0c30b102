package zendesk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/rest"
)

func TestCreateTicket(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		key       string
		input     map[string]any
		fault     *zendesktest.Fault
		wantErr   error
		wantRetry time.Duration
		want      *zendesktest.Ticket // the ticket the fake holds, id aside
		wantUser  *zendesktest.User   // the requester, id aside
	}{
		{"new customer", "k1", map[string]any{
			"subject": "WhatsApp from +5511912345678", "comment": "Customer: my order is late", "requester_phone": "(11) 91234-5678",
			"requester_name": "Bia Lima", "tags": "order_issue, VIP", "priority": "high",
		}, nil, nil, 0,
			&zendesktest.Ticket{Subject: "WhatsApp from +5511912345678", Status: "new", Priority: "high", ExternalID: "parley:k1",
				Tags: []string{"whatsapp", "order_issue", "vip"}, Comments: []zendesktest.Comment{{Body: "Customer: my order is late", Public: true}}},
			&zendesktest.User{Name: "Bia Lima", Phone: "+5511912345678", Role: "end-user", ExternalID: "whatsapp:+5511912345678"}},
		{"tags as a list, private note, own external id", "k2", map[string]any{
			"subject": "s", "comment": "c", "requester_phone": "+5511912345678", "tags": []any{"a", "whatsapp"}, "public": false, "external_id": "wa:wamid.X",
		}, nil, nil, 0,
			&zendesktest.Ticket{Subject: "s", Status: "new", ExternalID: "wa:wamid.X", Tags: []string{"whatsapp", "a"}, Comments: []zendesktest.Comment{{Body: "c", Public: false}}},
			&zendesktest.User{Name: "+5511912345678", Phone: "+5511912345678", Role: "end-user", ExternalID: "whatsapp:+5511912345678"}},
		{"bad phone", "k3", map[string]any{"subject": "s", "comment": "c", "requester_phone": "555-555-SHIP"}, nil, sdk.ErrBadRequest, 0, nil, nil},
		{"bad priority and missing comment", "k4", map[string]any{"subject": "s", "requester_phone": "+5511912345678", "priority": "asap"}, nil, sdk.ErrBadRequest, 0, nil, nil},
		{"rate limited", "k5", map[string]any{"subject": "s", "comment": "c", "requester_phone": "+5511912345678"},
			&zendesktest.Fault{Method: http.MethodPost, Path: "/api/v2/tickets", Status: 429, RetryAfter: "12"}, nil, 12 * time.Second, nil, nil},
		{"conflict", "k6", map[string]any{"subject": "s", "comment": "c", "requester_phone": "+5511912345678"},
			&zendesktest.Fault{Method: http.MethodPost, Path: "/api/v2/tickets", Status: 409}, nil, -1, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			if tc.fault != nil {
				f.Fail(*tc.fault)
			}
			c := newTestConnector(t, testConfig(f))
			res, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionCreateTicket, IdempotencyKey: tc.key, Input: tc.input})
			switch {
			case tc.wantRetry != 0:
				after, ok := sdk.IsRetryable(err)
				if !ok || (tc.wantRetry > 0 && after != tc.wantRetry) {
					t.Fatalf("got %v, want retryable after %s", err, tc.wantRetry)
				}
				return
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				if n := len(f.Tickets()); n != 0 {
					t.Errorf("%d tickets created", n)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			tickets := f.Tickets()
			if len(tickets) != 1 {
				t.Fatalf("%d tickets, want 1", len(tickets))
			}
			var got zendesktest.Ticket
			for _, tk := range tickets {
				got = tk
			}
			u := f.Users()[got.RequesterID]
			want := *tc.want
			want.ID, want.RequesterID = got.ID, got.RequesterID
			want.Comments[0].AuthorID = got.RequesterID // the fake's default author
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ticket (-want +got):\n%s", diff)
			}
			wantUser := *tc.wantUser
			wantUser.ID = u.ID
			if diff := cmp.Diff(wantUser, u); diff != "" {
				t.Errorf("requester (-want +got):\n%s", diff)
			}
			id := json.Number(res.Output["ticket_id"].(string)).String()
			wantOut := map[string]any{"ticket_id": id, "status": "new", "external_id": want.ExternalID, "created": true, "agent_url": f.URL + "/agent/tickets/" + id}
			if diff := cmp.Diff(wantOut, res.Output); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateTicketIdempotent retries one call in the ways the hub can: the
// same key again (found by external_id), and the same key after the first
// answer was lost between Zendesk and the connector.
func TestCreateTicketIdempotent(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := newTestConnector(t, testConfig(f))
	req := sdk.ActionRequest{Action: ActionCreateTicket, IdempotencyKey: "flow-7", Input: map[string]any{"subject": "s", "comment": "c", "requester_phone": "+5511912345678"}}
	first, err := c.Do(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Do(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.Output["ticket_id"] != first.Output["ticket_id"] || again.Output["created"] != false || len(f.Tickets()) != 1 {
		t.Errorf("retry: first %v, again %v, %d tickets", first.Output, again.Output, len(f.Tickets()))
	}
	if n := len(f.Tickets()); n != 1 {
		t.Errorf("%d tickets after a retry", n)
	}
	var posts int
	for _, r := range f.Requests() {
		if r == "POST /api/v2/tickets" {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d POSTs, want 1 (the retry finds the ticket by external_id)", posts)
	}
}

// TestCreateTicketRoundTrip creates a ticket for a customer Zendesk knows
// by phone (keeping the name an agent gave them), then feeds the ticket's
// solved event back: it must reach Parley with the phone.
func TestCreateTicketRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.AddUser(zendesktest.User{ID: 777, Name: "Ana (VIP)", Phone: "+5511912345678", ExternalID: "whatsapp:+5511912345678"})
	c := newTestConnector(t, testConfig(f))
	res, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionCreateTicket, IdempotencyKey: "rt", Input: map[string]any{"subject": "s", "comment": "c", "requester_phone": "+55 11 91234-5678"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Output["ticket_id"].(string)
	if tk := f.Tickets()[mustInt(t, id)]; tk.RequesterID != 777 {
		t.Fatalf("requester %d, want the existing user 777", tk.RequesterID)
	}
	if u := f.Users()[777]; u.Name != "Ana (VIP)" {
		t.Errorf("the requester's name was overwritten: %q", u.Name)
	}
	env := fmt.Sprintf(`{"account_id":1,"id":"rt-1","type":"zen:event-type:ticket.status_changed","time":"2026-05-02T09:00:00Z",`+
		`"detail":{"id":%q,"requester_id":"777","status":"SOLVED","external_id":"parley:rt"},"event":{"current":"SOLVED","previous":"OPEN"}}`, id)
	wr, err := c.HandleWebhook(t.Context(), signedRequest([]byte(env), testSecret, testNow))
	if err != nil {
		t.Fatal(err)
	}
	if len(wr.Events) != 1 || wr.Events[0].Type != TypeTicketSolved || wr.Events[0].Contact.Phone != "+5511912345678" {
		t.Errorf("got %+v, want ticket.solved for +5511912345678", wr)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAddComment(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		input   map[string]any
		fault   *zendesktest.Fault
		wantErr error
		want    []zendesktest.Comment
		wantOut map[string]any
	}{
		{"internal note by default", map[string]any{"ticket_id": "5158", "body": "Customer said thanks on WhatsApp"}, nil, nil,
			[]zendesktest.Comment{{Body: "Customer said thanks on WhatsApp", Public: false, AuthorID: 1}},
			map[string]any{"ticket_id": "5158", "status": "open", "public": false}},
		{"public, as another author, id as a number", map[string]any{"ticket_id": json.Number("5158"), "body": "Hi!", "public": "true", "author_id": "8447388090494"}, nil, nil,
			[]zendesktest.Comment{{Body: "Hi!", Public: true, AuthorID: 8447388090494}},
			map[string]any{"ticket_id": "5158", "status": "open", "public": true}},
		{"unknown ticket", map[string]any{"ticket_id": "404", "body": "x"}, nil, sdk.ErrBadRequest, nil, nil},
		{"closed ticket", map[string]any{"ticket_id": "5159", "body": "x"}, nil, sdk.ErrBadRequest, nil, nil},
		{"ticket id not a number", map[string]any{"ticket_id": "abc", "body": "x"}, nil, sdk.ErrBadRequest, nil, nil},
		{"public not a bool", map[string]any{"ticket_id": "5158", "body": "x", "public": "yes please"}, nil, sdk.ErrBadRequest, nil, nil},
		{"server error", map[string]any{"ticket_id": "5158", "body": "x"}, &zendesktest.Fault{Method: http.MethodPut, Status: 503, RetryAfter: "1"}, nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.AddTicket(zendesktest.Ticket{ID: 5158, Subject: "Damaged", RequesterID: 8447388090500})
			f.AddTicket(zendesktest.Ticket{ID: 5159, Subject: "Old", Status: "closed", RequesterID: 8447388090500})
			if tc.fault != nil {
				f.Fail(*tc.fault)
			}
			c := newTestConnector(t, testConfig(f))
			res, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionAddComment, IdempotencyKey: "c-" + tc.name, Input: tc.input})
			if tc.fault != nil {
				if after, ok := sdk.IsRetryable(err); !ok || after != time.Second {
					t.Fatalf("got %v, want retryable after 1s", err)
				}
				return
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, f.Tickets()[5158].Comments); diff != "" {
				t.Errorf("comments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantOut, res.Output); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddCommentIdempotent(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.AddTicket(zendesktest.Ticket{ID: 5158, RequesterID: 8447388090500})
	c := newTestConnector(t, testConfig(f))
	for range 2 {
		if _, err := c.Do(t.Context(), sdk.ActionRequest{Action: ActionAddComment, IdempotencyKey: "same", Input: map[string]any{"ticket_id": "5158", "body": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.Tickets()[5158].Comments); n != 1 {
		t.Errorf("%d comments after a retry, want 1", n)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	if err := newTestConnector(t, testConfig(f)).Health(t.Context()); err != nil {
		t.Errorf("healthy: %v", err)
	}
	cfg := testConfig(f)
	cfg[keyAPIToken] = "revoked"
	err := newTestConnector(t, cfg).Health(t.Context())
	if !rest.StatusIs(err, http.StatusUnauthorized) {
		t.Errorf("revoked token: got %v, want a 401", err)
	}
	if err := New().Health(t.Context()); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	err := New().Configure(t.Context(), sdk.Config{keySubdomain: "https://acme.zendesk.com", keyEmail: "nope", keyAPIBaseURL: "acme", keyDefaultRegion: "XX", keyMaxClockSkew: "forever", keyAcceptTests: "maybe", keyRequestTimeout: "0s"})
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *sdk.ConfigError
		if errors.As(e, &ce) {
			fields = append(fields, ce.Field)
		}
	}
	want := []string{keySigningSecret, keyAPIToken, keyEmail, keySubdomain, keyAPIBaseURL, keyDefaultRegion, keyMaxClockSkew, keyAcceptTests, keyRequestTimeout}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	c := New()
	if err := c.Configure(t.Context(), sdk.Config{keySigningSecret: "s", keySubdomain: "Acme", keyEmail: "a@b.c", keyAPIToken: "t"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.state(); st.cfg.apiBase != "https://acme.zendesk.com" || !cmp.Equal(st.cfg.defaultTags, []string{"whatsapp"}) {
		t.Errorf("defaults: base %q, tags %q", st.cfg.apiBase, st.cfg.defaultTags)
	}
}
