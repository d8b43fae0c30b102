package whatsapp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statusesBody wraps a statuses array in a body whose second change holds it.
func statusesBody(statuses string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
	  {"field":"account_update","value":{"event":"PARTNER_ADDED"}},
	  {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"statuses":` + statuses + `}}]}]}`
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		body      string
		wantField string
		wantText  string
		wantIs    error
	}{
		{
			name:      "timestamp not seconds",
			body:      statusesBody(`[{"id":"wamid.1","status":"sent","timestamp":"abc","recipient_id":"3"}]`),
			wantField: "entry[0].changes[1].value.statuses[0].timestamp",
			wantText:  `entry[0].changes[1].value.statuses[0].timestamp: "abc" is not Unix seconds`,
			wantIs:    ErrNotUnixSeconds,
		},
		{
			name:      "timestamp as a number",
			body:      statusesBody(`[{"id":"wamid.1","status":"sent","timestamp":"1"},{"id":"wamid.2","status":"sent","timestamp":1750030073}]`),
			wantField: "entry[0].changes[1].value.statuses[1].timestamp",
			wantText:  `entry[0].changes[1].value.statuses[1].timestamp: 1750030073 is a number, want a string`,
		},
		{
			name:      "error code as a string",
			body:      statusesBody(`[{"id":"wamid.1","status":"failed","timestamp":"1","errors":[{"code":"131049"}]}]`),
			wantField: "entry[0].changes[1].value.statuses[0].errors.code",
			wantText:  `entry[0].changes[1].value.statuses[0].errors.code: is a string, want an integer`,
		},
		{
			name:      "status without id",
			body:      statusesBody(`[{"status":"sent","timestamp":"1"}]`),
			wantField: "entry[0].changes[1].value.statuses[0].id",
			wantIs:    ErrRequired,
		},
		{
			name:      "status without status",
			body:      statusesBody(`[{"id":"wamid.1","timestamp":"1"}]`),
			wantField: "entry[0].changes[1].value.statuses[0].status",
			wantIs:    ErrRequired,
		},
		{
			name:      "message timestamp empty",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":[{"id":"wamid.1","type":"text","timestamp":""}]}}]}]}`,
			wantField: "entry[0].changes[0].value.messages[0].timestamp",
			wantText:  `entry[0].changes[0].value.messages[0].timestamp: "" is not Unix seconds`,
			wantIs:    ErrNotUnixSeconds,
		},
		{
			name:      "message without id",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":[{"type":"text","timestamp":"1"}]}}]}]}`,
			wantField: "entry[0].changes[0].value.messages[0].id",
			wantIs:    ErrRequired,
		},
		{
			name:      "no phone number id",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"wamid.1","timestamp":"1"}]}}]}]}`,
			wantField: "entry[0].changes[0].value.metadata.phone_number_id",
			wantIs:    ErrRequired,
		},
		{
			name:      "messages not an array",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":{}}}]}]}`,
			wantField: "entry[0].changes[0].value.messages",
			wantText:  `entry[0].changes[0].value.messages: {} is an object, want an array`,
		},
		{
			name:      "text body a number",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":[{"id":"a","timestamp":"1","type":"text","text":{"body":5}}]}}]}]}`,
			wantField: "entry[0].changes[0].value.messages[0].text.body",
			wantText:  `entry[0].changes[0].value.messages[0].text.body: 5 is a number, want a string`,
		},
		{
			name:      "value missing",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages"}]}]}`,
			wantField: "entry[0].changes[0].value",
			wantIs:    ErrRequired,
		},
		{
			name:      "template id not a number",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","time":5,"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":"x"}}]}]}`,
			wantField: "entry[0].changes[0].value",
		},
		{
			name:      "entry time a string",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","time":"5","changes":[]}]}`,
			wantField: "entry[0].time",
			wantText:  `entry[0].time: "5" is a string, want an integer`,
		},
		{
			name:      "changes not an array",
			body:      `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":"x"}]}`,
			wantField: "entry[0].changes",
		},
		{
			name:      "entry an object",
			body:      `{"object":"whatsapp_business_account","entry":{}}`,
			wantField: "entry",
		},
		{
			name:      "wrong object",
			body:      `{"object":"page","entry":[]}`,
			wantField: "object",
			wantText:  `object: "page" is not "whatsapp_business_account"`,
			wantIs:    ErrWrongObject,
		},
		{
			name:      "no object",
			body:      `{"entry":[]}`,
			wantField: "object",
			wantIs:    ErrWrongObject,
		},
		{
			name:      "truncated",
			body:      `{"object":"whatsapp_business_account","entry":[`,
			wantField: "body",
		},
		{
			name:      "not JSON",
			body:      `<html>`,
			wantField: "body",
		},
		{
			name:      "array",
			body:      `[]`,
			wantField: "body",
		},
		{
			name:      "empty",
			body:      ``,
			wantField: "body",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n, err := Parse([]byte(c.body))
			if n != nil {
				t.Errorf("notification = %+v, want nil", n)
			}
			pe, ok := errors.AsType[*ParseError](err)
			if !ok {
				t.Fatalf("err = %T %v, want *ParseError", err, err)
			}
			if pe.Field != c.wantField {
				t.Errorf("Field = %q, want %q (%v)", pe.Field, c.wantField, err)
			}
			if c.wantText != "" && err.Error() != c.wantText {
				t.Errorf("Error() = %s\nwant      %s", err, c.wantText)
			}
			if c.wantIs != nil && !errors.Is(err, c.wantIs) {
				t.Errorf("err = %v, want %v", err, c.wantIs)
			}
			if ClassOf(err) != ClassPermanent {
				t.Errorf("class = %s", ClassOf(err))
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, n *Notification)
	}{
		{
			name: "no entries",
			body: `{"object":"whatsapp_business_account","entry":[]}`,
			check: func(t *testing.T, n *Notification) {
				if len(n.Inbound)+len(n.Statuses)+len(n.Other) != 0 {
					t.Errorf("%+v", n)
				}
			},
		},
		{
			name: "unknown keys, status and message type",
			body: `{"object":"whatsapp_business_account","future":1,"entry":[{"id":"1","changes":[{"field":"messages","value":{"novel":true,"metadata":{"phone_number_id":"2"},
			  "statuses":[{"id":"w1","status":"deleted","timestamp":"10","new_key":{}}],
			  "messages":[{"id":"w2","timestamp":"11","type":"poll_vote","poll_vote":{"x":1}}]}}]}]}`,
			check: func(t *testing.T, n *Notification) {
				if len(n.Statuses) != 1 || n.Statuses[0].State != "" || n.Statuses[0].Status.Status != "deleted" {
					t.Errorf("statuses = %+v", n.Statuses)
				}
				if len(n.Inbound) != 1 || n.Inbound[0].Message.Type != "poll_vote" || n.Inbound[0].Contact != nil {
					t.Errorf("inbound = %+v", n.Inbound)
				}
			},
		},
		{
			name: "sender matched among several contacts",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},
			  "contacts":[{"profile":{"name":"A"},"wa_id":"111"},{"profile":{"name":"B"},"wa_id":"222"},{"profile":{"name":"C"},"user_id":"US.9"}],
			  "messages":[{"from":"222","id":"w1","timestamp":"1","type":"text","text":{"body":"x"}},
			              {"from_user_id":"US.9","id":"w2","timestamp":"2","type":"text","text":{"body":"y"}},
			              {"from":"333","id":"w3","timestamp":"3","type":"text","text":{"body":"z"}}]}}]}]}`,
			check: func(t *testing.T, n *Notification) {
				var names []string
				for _, it := range n.Inbound {
					if it.Contact == nil {
						names = append(names, "-")
					} else {
						names = append(names, it.Contact.Profile.Name)
					}
				}
				if strings.Join(names, ",") != "B,C,-" {
					t.Errorf("contacts = %v", names)
				}
			},
		},
		{
			name: "value null",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":null}]}]}`,
			check: func(t *testing.T, n *Notification) {
				if len(n.Inbound)+len(n.Statuses)+len(n.Errors) != 0 {
					t.Errorf("%+v", n)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n, err := Parse([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, n)
		})
	}
}

// FuzzParse: Parse never panics, fails only with a *ParseError, and what it
// returns satisfies its documented invariants.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/spec/webhooks", "testdata/webhooks"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(statusesBody(`[{"id":"wamid.1","status":"sent","timestamp":"abc"}]`)))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{}}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := Parse(raw)
		if err != nil {
			if _, ok := errors.AsType[*ParseError](err); !ok {
				t.Fatalf("err = %T %v, want *ParseError", err, err)
			}
			if n != nil {
				t.Fatal("notification with error")
			}
			_ = err.Error()
			return
		}
		for _, it := range n.Inbound {
			if it.Message.ID == "" || it.PhoneNumberID == "" || it.Timestamp.IsZero() && it.Message.Timestamp != "0" {
				t.Fatalf("inbound item = %+v", it)
			}
		}
		for _, it := range n.Statuses {
			if it.Status.ID == "" || it.Status.Status == "" || it.PhoneNumberID == "" {
				t.Fatalf("status item = %+v", it)
			}
			if it.State != "" && !it.State.Valid() {
				t.Fatalf("state %q", it.State)
			}
		}
	})
}
