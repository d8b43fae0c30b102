package flows

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/event"
)

func mustEvent(t *testing.T, body string) *event.Event {
	t.Helper()
	ev, err := event.Decode([]byte(body), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestRender(t *testing.T) {
	t.Parallel()
	demo := config.Default().Flows[0]
	textFlow := config.Flow{Name: "note", On: config.Trigger{Type: "order.shipped"}, To: "contact.phone", Text: "Order {{data.order_number}} for {{ contact.name }}"}
	localeFlow := config.Flow{Name: "hello", On: config.Trigger{Type: "x"}, To: "data.phone", Template: &config.FlowTemplate{Name: "hello_world"}}
	ev := mustEvent(t, `{"type":"order.shipped","source":"shop","id":"7","contact":{"phone":"+1 650-555-1234","name":"Ana","locale":"pt-BR"},
		"data":{"order_number":"A-7","tracking_url":"https://t.example/7","phone":"+442079460958"}}`)
	cases := []struct {
		name string
		flow config.Flow
		want string
	}{
		{"template with params, in the contact's language", demo, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"template","template":{"name":"order_shipped","language":{"code":"pt_BR"},"components":[{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"A-7"},{"type":"text","text":"https://t.example/7"}]}]}}`},
		{"text with placeholders", textFlow, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"Order A-7 for Ana"}}`},
		{"language from the contact's locale", localeFlow, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+442079460958","type":"template","template":{"name":"hello_world","language":{"code":"pt_BR"}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := Render(tc.flow, ev)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(req)
			if string(got) != tc.want {
				t.Errorf("Render =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	demo := config.Default().Flows[0]
	cases := []struct {
		name, body, field string
		want              error
	}{
		{"no phone", `{"type":"order.shipped","source":"s","id":"1","contact":{"name":"Ana"},"data":{"order_number":"1","tracking_url":"u"}}`, "contact.phone", ErrMissingField},
		{"bad phone", `{"type":"order.shipped","source":"s","id":"1","contact":{"phone":"555-1234","name":"Ana"},"data":{"order_number":"1","tracking_url":"u"}}`, "contact.phone", contacts.ErrBadPhone},
		{"missing param", `{"type":"order.shipped","source":"s","id":"1","contact":{"phone":"+16505551234","name":"Ana"},"data":{"order_number":"1"}}`, "data.tracking_url", ErrMissingField},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(demo, mustEvent(t, tc.body))
			var re *RenderError
			if !errors.As(err, &re) || re.Field != tc.field || !errors.Is(err, tc.want) {
				t.Fatalf("Render error = %v; want a RenderError on %s wrapping %v", err, tc.field, tc.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	ev := &event.Event{Type: "order.shipped", Source: "shopify"}
	for _, tc := range []struct {
		on   config.Trigger
		want bool
	}{
		{config.Trigger{Type: "order.shipped"}, true},
		{config.Trigger{Type: "order.shipped", Source: "shopify"}, true},
		{config.Trigger{Type: "order.shipped", Source: "woo"}, false},
		{config.Trigger{Type: "order.paid"}, false},
	} {
		if got := Matches(config.Flow{On: tc.on}, ev); got != tc.want {
			t.Errorf("Matches(%+v) = %v, want %v", tc.on, got, tc.want)
		}
	}
}
