package config

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultIsValid(t *testing.T) {
	t.Parallel()
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Config)
		want   []FieldError // nil: valid
	}{
		{
			name:   "api_version pattern",
			modify: func(c *Config) { c.WhatsApp.APIVersion = "23.0" },
			want:   []FieldError{{Path: "whatsapp.api_version", Value: "23.0", Msg: `"23.0" does not match ^v\d+\.\d+$`}},
		},
		{
			name: "durations must be positive, emulator delays may be zero",
			modify: func(c *Config) {
				c.Store.BusyTimeout = -time.Second
				c.Emulator.StatusLatency, c.Emulator.ReadAfter = 0, 0
			},
			want: []FieldError{{Path: "store.busy_timeout", Value: -time.Second, Msg: "must be > 0; got -1s"}},
		},
		{
			name: "numeric bounds",
			modify: func(c *Config) {
				c.Emulator.FaultRate = 1.5
				c.Store.Readers = 0
				c.Pipeline.Retry.Multiplier = 0.5
			},
			want: []FieldError{
				{Path: "store.readers", Value: 0, Msg: "must be 1 to 64; got 0"},
				{Path: "emulator.fault_rate", Value: 1.5, Msg: "must be 0 to 1; got 1.5"},
				{Path: "pipeline.retry.multiplier", Value: 0.5, Msg: "must be at least 1; got 0.5"},
			},
		},
		{
			name: "addresses and URLs",
			modify: func(c *Config) {
				c.Server.Addr = "8080"
				c.Server.PublicURL = "parley.example.com"
				c.Emulator.Addr = "localhost:99999"
			},
			want: []FieldError{
				{Path: "server.addr", Value: "8080", Msg: `"8080" is not host:port`},
				{Path: "server.public_url", Value: "parley.example.com", Msg: `"parley.example.com" is not an absolute http(s) URL`},
				{Path: "emulator.addr", Value: "localhost:99999", Msg: `"localhost:99999" has no valid port (0-65535)`},
			},
		},
		{
			name:   "enums and required",
			modify: func(c *Config) { c.Log.Level = "verbose"; c.Mode = ""; c.Store.Synchronous = "full" },
			want: []FieldError{
				{Path: "mode", Value: Mode(""), Msg: "required"},
				{Path: "log.level", Value: "verbose", Msg: "must be one of debug, info, warn, error; got \"verbose\""},
				{Path: "store.synchronous", Value: "full", Msg: "must be one of FULL, NORMAL; got \"full\""},
			},
		},
		{
			name: "retry intervals",
			modify: func(c *Config) {
				c.Pipeline.Retry.InitialInterval = time.Minute
			},
			want: []FieldError{{Path: "pipeline.retry.max_interval", Value: 30 * time.Second, Msg: "must be at least initial_interval (1m); got 30s"}},
		},
		{
			name: "api keys",
			modify: func(c *Config) {
				c.API.Keys = []KeyHash{{Name: "ops", Hash: HashAPIKey("a"), Scopes: []string{"admin"}}, {Name: "ops", Hash: "a", Scopes: []string{"admin"}}, {Hash: HashAPIKey("b"), Scopes: []string{"admin"}}}
			},
			want: []FieldError{
				{Path: "api.keys[1].hash", Value: "a", Msg: `"a" does not match ^sha256:[0-9a-f]{64}$`},
				{Path: "api.keys[2].name", Value: "", Msg: "required"},
				{Path: "api.keys[1].name", Value: "ops", Msg: `duplicate key name "ops" (also api.keys[0])`},
			},
		},
		{
			name: "templates",
			modify: func(c *Config) {
				c.Templates = append(c.Templates,
					Template{Name: "order_shipped", Language: "en_US", Category: "utility", Body: "x"},
					Template{Name: "Promo", Language: "english", Category: "promo", Body: "{{1}} {{3}}"},
					Template{Name: "named", Language: "en", Category: "marketing", Body: "Hi {{first_name}}"},
				)
			},
			want: []FieldError{
				{Path: "templates[2].name", Value: "Promo", Msg: `"Promo" does not match ^[a-z0-9_]+$`},
				{Path: "templates[2].language", Value: "english", Msg: `"english" does not match ^[a-z]{2,3}(_[A-Z]{2})?$`},
				{Path: "templates[2].category", Value: "promo", Msg: `must be one of marketing, utility, authentication; got "promo"`},
				{Path: "templates[1].name", Value: "order_shipped", Msg: `duplicate template "order_shipped" in en_US (also templates[0])`},
				{Path: "templates[2].body", Value: "{{1}} {{3}}", Msg: "placeholders must be numbered {{1}} to {{3}} without gaps; {{2}} is missing"},
				{Path: "templates[3].body", Value: "Hi {{first_name}}", Msg: "placeholder {{first_name}} is not positional: use {{1}}, {{2}}, ..."},
			},
		},
		{
			name: "hello_world is always known",
			modify: func(c *Config) {
				c.Flows = append(c.Flows, Flow{Name: "hi", On: Trigger{Type: "contact.created"}, To: "contact.phone",
					Template: &FlowTemplate{Name: "hello_world"}})
			},
		},
		{
			name: "flow template checks",
			modify: func(c *Config) {
				c.Flows = append(c.Flows,
					Flow{Name: "b", On: Trigger{Type: "t"}, To: "contact.phone", Template: &FlowTemplate{Name: "order_shipped", Language: "fr_FR"}},
					Flow{Name: "c", On: Trigger{Type: "t"}, To: "contact.phone", Template: &FlowTemplate{Name: "order_shipped", Params: []string{"data.a"}}},
					Flow{Name: "d", On: Trigger{Type: "t"}, To: "phone", Template: &FlowTemplate{Name: "hello_world", Params: []string{"order.number"}}},
				)
			},
			want: []FieldError{
				{Path: "flows[3].to", Value: "phone", Msg: `"phone" is not an event path: use contact.<field>, data.<field>, id, type, source or occurred_at`},
				{Path: "flows[3].template.params[0]", Value: "order.number", Msg: `"order.number" is not an event path: use contact.<field>, data.<field>, id, type, source or occurred_at`},
				{Path: "flows[1].template.language", Value: "fr_FR", Msg: `template "order_shipped" has no language "fr_FR" (has en_US, pt_BR, es)`},
				{Path: "flows[2].template.params", Value: []string{"data.a"}, Msg: `template "order_shipped" (en_US) takes 3 params; got 1`},
				{Path: "flows[3].template.params", Value: []string{"order.number"}, Msg: `template "hello_world" (en_US) takes 0 params; got 1`},
			},
		},
		{
			name: "flow shape checks",
			modify: func(c *Config) {
				c.Flows = append(c.Flows,
					Flow{Name: "order_shipped", On: Trigger{Type: "t"}, To: "contact.phone", Text: "Hi {{contact.name}}, {{order}}"},
					Flow{Name: "both", On: Trigger{}, To: "contact.phone", Text: "x", Template: &FlowTemplate{Name: "hello_world"}},
					Flow{Name: "neither", On: Trigger{Type: "t"}, To: "id"},
				)
			},
			want: []FieldError{
				{Path: "flows[2].on.type", Value: "", Msg: "required"},
				{Path: "flows[1].name", Value: "order_shipped", Msg: `duplicate flow name "order_shipped" (also flows[0])`},
				{Path: "flows[1].text", Value: "Hi {{contact.name}}, {{order}}", Msg: "placeholder {{order}} is not an event path: use contact.<field>, data.<field>, id, type, source or occurred_at"},
				{Path: "flows[2]", Msg: "set exactly one of template, text and action, not more"},
				{Path: "flows[3]", Msg: "set one of template, text, interactive or action (or only tags or handoff)"},
			},
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

func TestValidateRequiredIsErrRequired(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Mode = ModeProduction
	err := c.Validate()
	if !errors.Is(err, ErrRequired) {
		t.Errorf("errors.Is(%v, ErrRequired) = false", err)
	}
}

func TestTemplateParamCount(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]int{"": 0, "Hello World": 0, "{{1}}": 1, "{{ 2 }} {{1}} {{2}}": 2} {
		if got := (Template{Body: body}).ParamCount(); got != want {
			t.Errorf("ParamCount(%q) = %d, want %d", body, got, want)
		}
	}
}
