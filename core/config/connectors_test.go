package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const connectorsYAML = `
connectors:
  - name: shopify
    path: bin/connectors/parley-connector-shopify
    config:
      client_secret: shpss_very_secret
      default_region: US
      max_pending_checkouts: 50000
      abandoned_after: 3h
  - name: zendesk
    path: bin/connectors/parley-connector-zendesk
    enabled: false
    poll_interval: 1m
escalation:
  keywords: [agent, "talk to a person"]
templates:
  - {name: order_shipped, language: en_US, category: utility, body: "Hi {{1}}"}
flows:
  - name: shipped
    on: {type: order.shipped}
    template: {name: order_shipped, params: [contact.name]}
`

func TestLoadConnectors(t *testing.T) {
	t.Parallel()
	cfg, err := Load(LoadOptions{File: writeFile(t, connectorsYAML), Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Connector{
		{Name: "shopify", Path: "bin/connectors/parley-connector-shopify", Enabled: true, PollInterval: 30 * time.Second,
			Config: Values{"client_secret": "shpss_very_secret", "default_region": "US", "max_pending_checkouts": "50000", "abandoned_after": "3h"}},
		{Name: "zendesk", Path: "bin/connectors/parley-connector-zendesk", Enabled: false, PollInterval: time.Minute},
	}
	if diff := cmp.Diff(want, cfg.Connectors); diff != "" {
		t.Errorf("connectors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"agent", "talk to a person"}, cfg.Escalation.Keywords); diff != "" {
		t.Errorf("escalation.keywords (-want +got):\n%s", diff)
	}
	// Dump redacts the secret and round-trips the rest.
	dump := cfg.Dump()
	if bytes.Contains(dump, []byte("shpss_very_secret")) || !bytes.Contains(dump, []byte(`client_secret: "`+Redacted+`"`)) {
		t.Errorf("Dump does not redact the connector secret:\n%s", dump)
	}
	again, err := Load(LoadOptions{File: writeFile(t, string(dump)), Env: []string{}})
	if err != nil {
		t.Fatalf("Load(Dump()): %v\n%s", err, dump)
	}
	if again.Connectors[0].Config["default_region"] != "US" || again.Connectors[1].Config != nil {
		t.Errorf("Dump does not round-trip: %+v", again.Connectors)
	}
}

func TestValuesRedacted(t *testing.T) {
	t.Parallel()
	v := Values{"client_secret": "s3", "api_token": "t0k", "password": "pw", "signing_key": "k3y", "region": "US"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "config", v)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "config", v)
	shown := map[string]string{
		"fmt":  fmt.Sprintf("%v %+v %#v %s", v, v, v, v),
		"JSON": string(must(json.Marshal(struct{ C Values }{v}))),
		"slog": logged.String(),
	}
	for where, text := range shown {
		for _, s := range []string{"s3", "t0k", "pw", "k3y"} {
			if strings.Contains(text, ":"+s) || strings.Contains(text, `"`+s+`"`) {
				t.Errorf("%s shows secret %q: %s", where, s, text)
			}
		}
		if !strings.Contains(text, "US") {
			t.Errorf("%s hides a value that is not secret: %s", where, text)
		}
	}
	if v.Reveal()["client_secret"] != "s3" {
		t.Error("Reveal does not return the secret")
	}
}

func TestValidateConnectors(t *testing.T) {
	t.Parallel()
	shopify := Connector{Name: "shopify", Path: "x", Enabled: true, PollInterval: time.Second}
	tests := []struct {
		name   string
		modify func(*Config)
		want   []FieldError
	}{
		{
			name: "valid action flow",
			modify: func(c *Config) {
				c.Connectors = []Connector{shopify, {Name: "zendesk", Path: "y", Enabled: true, PollInterval: time.Second}}
				c.Flows = append(c.Flows, Flow{Name: "esc", On: Trigger{Type: "conversation.escalated"}, To: "contact.phone",
					Action: FlowAction{Name: "zendesk.create_ticket", Input: Values{"comment": "{{transcript}}", "requester_phone": "{{ contact.phone }}"}}})
			},
		},
		{
			name: "names, checksums and action references",
			modify: func(c *Config) {
				c.Mode = ModeSandbox
				c.Connectors = []Connector{
					shopify,
					{Name: "shopify", Path: "x", Enabled: true, PollInterval: time.Second, SHA256: "ABC"},
					{Name: "Zen Desk", Path: "", Enabled: false, PollInterval: 0},
					{Name: "hubspot", Path: "z", Enabled: false, PollInterval: time.Second},
				}
				c.Escalation.Keywords = []string{"agent", " "}
				c.Flows = append(c.Flows,
					Flow{Name: "a", On: Trigger{Type: "t"}, To: "contact.phone", Action: FlowAction{Name: "zendesk.create_ticket"}},
					Flow{Name: "b", On: Trigger{Type: "t"}, To: "contact.phone", Action: FlowAction{Name: "hubspot.add_note", Input: Values{"body": "{{order}}"}}},
					Flow{Name: "c", On: Trigger{Type: "t"}, To: "contact.phone", Action: FlowAction{Name: "create_ticket"}},
					Flow{Name: "d", On: Trigger{Type: "t"}, To: "contact.phone", Text: "x", Action: FlowAction{Name: "shopify.x"}},
				)
			},
			want: []FieldError{
				{Path: "connectors[1].sha256", Value: "ABC", Msg: `"ABC" does not match ^[0-9a-f]{64}$`},
				{Path: "connectors[2].name", Value: "Zen Desk", Msg: `"Zen Desk" does not match ^[a-z][a-z0-9_-]*$`},
				{Path: "connectors[2].path", Value: "", Msg: "required"},
				{Path: "connectors[2].poll_interval", Value: time.Duration(0), Msg: "must be > 0; got 0s"},
				{Path: "flows[3].action.name", Value: "create_ticket", Msg: `"create_ticket" does not match ^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*$`},
				{Path: "connectors[1].name", Value: "shopify", Msg: `duplicate connector name "shopify" (also connectors[0])`},
				{Path: "escalation.keywords[1]", Value: " ", Msg: "is empty"},
				{Path: "flows[1].action.name", Value: "zendesk.create_ticket", Msg: `unknown connector "zendesk" (configured: shopify, shopify, Zen Desk, hubspot)`},
				{Path: "flows[2].action.name", Value: "hubspot.add_note", Msg: `connector "hubspot" is disabled (connectors[3].enabled)`},
				{Path: "flows[2].action.input.body", Value: "{{order}}", Msg: "placeholder {{order}} is not an event path or {{transcript}}: use contact.<field>, data.<field>, id, type, source or occurred_at"},
				{Path: "flows[4]", Msg: "set exactly one of template, text and action, not more"},
			},
		},
		{
			name: "production needs checksums",
			modify: func(c *Config) {
				c.Mode = ModeProduction
				c.WhatsApp.PhoneNumberID, c.WhatsApp.AccessToken, c.WhatsApp.AppSecret, c.WhatsApp.VerifyToken = "1", "t", "s", "v"
				c.API.Keys = []KeyHash{{Name: "ops", Hash: HashAPIKey("k"), Scopes: []string{"admin"}}}
				c.Connectors = []Connector{shopify}
			},
			want: []FieldError{{Path: "connectors[0].sha256", Value: "", Msg: "required in production mode"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.modify(c)
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, fieldErrors(t, err), ignoreCause); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
