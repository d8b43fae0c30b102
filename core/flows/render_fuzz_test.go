package flows

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/event"
)

// e164 is what a rendered recipient must look like.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// FuzzRender: for any event that decodes, and any flow text, Render never
// panics; it fails only with a *RenderError that names the flow and the
// field; and what it renders is addressed to an E.164 number, carries the
// flow's template with one text parameter per configured path (the event's
// value there), passes the Cloud API request validation when it is a
// template, and is the same when rendered again.
func FuzzRender(f *testing.F) {
	seeds := []string{
		// The README's and the end-to-end tests' events.
		`{"type":"order.shipped","source":"shop","id":"1001","contact":{"phone":"+16505551234","name":"Ana"},"data":{"order_number":"1001","tracking_url":"https://track.example/1001"}}`,
		`{"type":"order.shipped","source":"shop","id":"A-1001","contact":{"phone":"+1 650 555 1234","name":"Ana"},"data":{"order_number":"A-1001","tracking_url":"https://track.example/A-1001"}}`,
		`{"type":"order.shipped","source":"shop","id":"7","contact":{"phone":"+1 650-555-1234","name":"Ana","locale":"pt-BR"},"data":{"order_number":"A-7","tracking_url":"https://t.example/7","phone":"+442079460958"}}`,
		`{"type":"order.shipped","source":"s","id":"1","contact":{"phone":"555-1234","name":"Ana"},"data":{"order_number":"1","tracking_url":"u"}}`,
		`{"type":"order.shipped","source":"s","id":1,"contact":{"phone":"0044 20 7946 0958","name":"","locale":"x-y-z","vip":true},"data":{"order_number":12.5e3,"tracking_url":["a"],"phone":null}}`,
		`{"type":"x","source":"s","id":"2","occurred_at":"2026-11-25T10:00:00Z","contact":{"phone":"+5511987654321","attributes":{"tier":{"level":"gold"}}},"data":{"items":[{"sku":"A"},{"sku":"B"}]}}`,
	}
	texts := []string{
		"Your order {{data.order_number}} has shipped.",
		"Order {{data.order_number}} for {{ contact.name }}",
		"{{contact.attributes.tier.level}} {{data.items.1.sku}} {{occurred_at}} {{id}} {{type}} {{source}}",
		"{{data.missing}}{{",
		"",
	}
	for i, s := range seeds {
		f.Add([]byte(s), texts[i%len(texts)])
	}

	demo := config.Default().Flows[0]
	f.Fuzz(func(t *testing.T, raw []byte, text string) {
		ev, err := event.Decode(raw, time.Unix(1_764_000_000, 0))
		if err != nil {
			return
		}
		flows := []config.Flow{
			demo,
			{Name: "note", On: config.Trigger{Type: ev.Type}, To: "contact.phone", Text: text},
			{Name: "hello", On: config.Trigger{Type: ev.Type}, To: "data.phone", Template: &config.FlowTemplate{Name: "hello_world"}},
			{Name: "params", On: config.Trigger{Type: ev.Type}, To: "contact.phone", Template: &config.FlowTemplate{Name: "t", Language: "pt_BR",
				Params: []string{"id", "type", "source", "occurred_at", "contact.name", "contact.attributes.tier", "data.items.0"}}},
		}
		for _, fl := range flows {
			req, err := Render(fl, ev)
			if err != nil {
				var re *RenderError
				if !errors.As(err, &re) || re.Flow != fl.Name || re.Field == "" {
					t.Fatalf("flow %q: error %v (%T); want a *RenderError naming the flow and field", fl.Name, err, err)
				}
				_ = err.Error()
				continue
			}
			if !e164.MatchString(req.To) {
				t.Fatalf("flow %q: to %q is not E.164", fl.Name, req.To)
			}
			again, err := Render(fl, ev)
			if err != nil || !cmp.Equal(req, again) {
				t.Fatalf("flow %q renders differently the second time: %v\n%s", fl.Name, err, cmp.Diff(req, again))
			}
			if fl.Template == nil {
				if req.Type != "text" || req.Text == nil {
					t.Fatalf("flow %q: a text flow rendered %+v", fl.Name, req)
				}
				continue
			}
			if req.Type != "template" || req.Template == nil || req.Template.Name != fl.Template.Name || req.Template.Language.Code == "" {
				t.Fatalf("flow %q: rendered %+v", fl.Name, req)
			}
			var params []string
			for _, c := range req.Template.Components {
				for _, p := range c.Parameters {
					params = append(params, p.Text)
				}
			}
			var want []string
			for _, p := range fl.Template.Params {
				v, _ := ev.Lookup(p)
				want = append(want, v)
			}
			if diff := cmp.Diff(want, params); diff != "" {
				t.Fatalf("flow %q: parameters (-want +got):\n%s", fl.Name, diff)
			}
			if err := req.Validate(); err != nil {
				t.Fatalf("flow %q: rendered a request the Cloud API client refuses: %v", fl.Name, err)
			}
		}
	})
}
