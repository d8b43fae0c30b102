package config

import (
	"errors"
	"strings"
	"testing"
)

// TestValidatePolicy: config validate catches a flow naming an unknown
// template, a bad condition, an unknown action, a menu leading nowhere and
// templates whose languages disagree with their parameter schema.
func TestValidatePolicy(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Templates = append(c.Templates,
		Template{Name: "promo", Category: "marketing", ParameterFormat: "named",
			Params:   []TemplateParam{{Name: "discount", Type: "number"}, {Name: "total", Type: "currency"}},
			Variants: []TemplateVariant{{Language: "en_US", Body: "{{discount}}% off, {{total}}"}, {Language: "pt_BR", Body: "{{desconto}}"}}},
		Template{Name: "promo", Category: "utility", Language: "es", Body: "{{discount}}"},
	)
	c.Flows = append(c.Flows,
		Flow{Name: "nudge", On: Trigger{Type: "t", Conditions: []Condition{
			{Field: "data.text", Op: "matches", Value: "(unclosed"},
			{Field: "data.total", Op: "gt", Value: "lots"},
			{Field: "data.country", Op: "in"},
			{Field: "data.x", Op: "exists", Value: "y"},
		}}, To: "contact.phone", Text: "hi", WhenClosed: &WhenClosed{Template: &FlowTemplate{Name: "shipping_update"}}},
		Flow{Name: "ticket", On: Trigger{Type: "t"}, To: "contact.phone", Action: FlowAction{Name: "zendesk.create_ticket"}},
		Flow{Name: "menu", On: Trigger{Type: "message.received"}, To: "contact.phone", Interactive: &Interactive{Type: "button", Body: "Pick", Options: []Option{
			{ID: "a", Title: "A title far longer than twenty", Next: "nowhere"}, {ID: "a", Title: "B"},
		}}},
		Flow{Name: "both", On: Trigger{Type: "t"}, To: "contact.phone", Text: "x", Interactive: &Interactive{Type: "list", Body: "b", Options: []Option{{ID: "x", Title: "x"}}}},
	)
	c.Guard.QuietHours.End = c.Guard.QuietHours.Start
	err := c.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v; want a *ValidationError", err)
	}
	want := map[string]string{
		"flows[1].when_closed.template.name":    `unknown template "shipping_update"`,
		"flows[1].on.conditions[0].value":       "not a regular expression",
		"flows[1].on.conditions[1].value":       "needs a number",
		"flows[1].on.conditions[2].values":      "needs values",
		"flows[1].on.conditions[3].value":       "takes no value",
		"flows[2].action.name":                  `unknown connector "zendesk"`,
		"flows[3].interactive.options[0].title": "at most 20 characters",
		"flows[3].interactive.options[0].next":  `unknown flow "nowhere"`,
		"flows[3].interactive.options[1].id":    `duplicate option id "a"`,
		"flows[4].interactive":                  "replaces template, text and action",
		"templates[1].variants[1].body":         "{{desconto}} is not in params",
		"templates[2].category":                 "every language of a template has one category",
		"templates[1].params[1].currency":       "required for a currency parameter",
		"guard.quiet_hours.end":                 "equals start",
	}
	got := map[string]string{}
	for _, fe := range ve.Errors {
		got[fe.Path] += fe.Msg + "; "
	}
	for path, msg := range want {
		if !strings.Contains(got[path], msg) {
			t.Errorf("%s: got %q; want it to say %q", path, got[path], msg)
		}
	}
	if t.Failed() {
		t.Logf("all problems:\n%v", err)
	}
}
