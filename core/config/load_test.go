package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreCause compares FieldErrors by what a reader sees: path, value, message.
var ignoreCause = cmpopts.IgnoreFields(FieldError{}, "Err")

// writeFile writes content to a file in a fresh temporary directory.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "parley.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func fieldErrors(t *testing.T, err error) []FieldError {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	return ve.Errors
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string   // YAML content; "" means no file
		env  []string // environment; never nil, so the test's own is not read
		want func(*Config)
	}{
		{
			name: "no file and no env gives Default",
			want: func(*Config) {},
		},
		{
			name: "file overrides defaults and keeps the rest",
			file: "log:\n  level: debug\nserver:\n  read_timeout: 1m\n",
			want: func(c *Config) {
				c.Log.Level = "debug"
				c.Server.ReadTimeout = time.Minute
				c.Templates, c.Flows = nil, nil
			},
		},
		{
			name: "empty section keeps its defaults",
			file: "server:\nlog: {}\n",
			want: func(c *Config) { c.Templates, c.Flows = nil, nil },
		},
		{
			name: "env overrides a nested key",
			env:  []string{"PARLEY_PIPELINE__RETRY__MAX_RETRIES=3", "PARLEY_SERVER__MAX_BODY_BYTES=1024", "HOME=/root"},
			want: func(c *Config) {
				c.Pipeline.Retry.MaxRetries = 3
				c.Server.MaxBodyBytes = 1024
			},
		},
		{
			name: "env overrides the file",
			file: "whatsapp:\n  timeout: 3s\n  access_token: from-file\n",
			env:  []string{"PARLEY_WHATSAPP__ACCESS_TOKEN=from-env", "PARLEY_WHATSAPP__TIMEOUT=4s", "PARLEY_EMULATOR__FAULT_RATE=0.5"},
			want: func(c *Config) {
				c.WhatsApp.AccessToken = "from-env"
				c.WhatsApp.Timeout = 4 * time.Second
				c.Emulator.FaultRate = 0.5
				c.Templates, c.Flows = nil, nil
			},
		},
		{
			name: "PARLEY_API_KEY adds a key and is not a config key",
			env:  []string{"PARLEY_API_KEY=s3cret", "PARLEY_MODE=production", "PARLEY_WHATSAPP__PHONE_NUMBER_ID=123", "PARLEY_WHATSAPP__ACCESS_TOKEN=a", "PARLEY_WHATSAPP__APP_SECRET=b", "PARLEY_WHATSAPP__VERIFY_TOKEN=c"},
			want: func(c *Config) {
				c.Mode = ModeProduction
				c.APIKeyFromEnv = "s3cret"
				c.WhatsApp.PhoneNumberID = "123"
				c.WhatsApp.AccessToken, c.WhatsApp.AppSecret, c.WhatsApp.VerifyToken = "a", "b", "c"
			},
		},
		{
			name: "file replaces the demo template and flow",
			file: "templates:\n  - {name: welcome, language: pt_BR, category: marketing, body: \"Olá {{1}}\"}\n" +
				"flows:\n  - name: hi\n    on: {type: contact.created, source: hubspot}\n    template: {name: welcome, params: [contact.first_name]}\n" +
				"  - name: plain\n    on: {type: ticket.solved}\n    text: \"Ticket {{data.id}} solved\"\n",
			want: func(c *Config) {
				c.Templates = []Template{{Name: "welcome", Language: "pt_BR", Category: "marketing", Body: "Olá {{1}}"}}
				c.Flows = []Flow{
					{Name: "hi", On: Trigger{Type: "contact.created", Source: "hubspot"}, To: "contact.phone",
						Template: &FlowTemplate{Name: "welcome", Params: []string{"contact.first_name"}}},
					{Name: "plain", On: Trigger{Type: "ticket.solved"}, To: "contact.phone", Text: "Ticket {{data.id}} solved"},
				}
			},
		},
		{
			name: "YAML numbers fill string fields",
			file: "whatsapp:\n  phone_number_id: 106540352242922\n",
			want: func(c *Config) {
				c.WhatsApp.PhoneNumberID = "106540352242922"
				c.Templates, c.Flows = nil, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := LoadOptions{Env: append([]string{}, tt.env...)}
			if tt.file != "" {
				opts.File = writeFile(t, tt.file)
			}
			got, err := Load(opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			tt.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		env  []string
		want []FieldError
	}{
		{
			name: "unknown key in file names its path",
			file: "whatsapp:\n  acess_token: EAAG-leaked\n",
			want: []FieldError{{Path: "whatsapp.acess_token", Msg: `unknown key; did you mean "access_token"?`}},
		},
		{
			name: "unknown keys at top level and inside a list item",
			file: "colour: blue\nflows:\n  - name: x\n    on: {type: a}\n    text: hi\n    templat: {name: y}\n",
			want: []FieldError{
				{Path: "flows[0].templat", Msg: `unknown key; did you mean "template"?`},
				{Path: "colour", Msg: "unknown key"},
			},
		},
		{
			name: "unknown key via env",
			env:  []string{"PARLEY_WHATSAPP__ACESS_TOKEN=EAAG-leaked", "PARLEY_NOPE=1"},
			want: []FieldError{
				{Path: "whatsapp.acess_token", Msg: `unknown key; did you mean "access_token"? (from environment variable PARLEY_WHATSAPP__ACESS_TOKEN)`},
				{Path: "nope", Msg: "unknown key (from environment variable PARLEY_NOPE)"},
			},
		},
		{
			name: "env cannot set lists or whole sections",
			env:  []string{"PARLEY_FLOWS__0__NAME=x", "PARLEY_SERVER=x"},
			want: []FieldError{
				{Path: "flows.0.name", Msg: "is a list: set lists in the config file (from environment variable PARLEY_FLOWS__0__NAME)"},
				{Path: "server", Msg: "is a section: set its keys, e.g. PARLEY_SERVER__ADDR (from environment variable PARLEY_SERVER)"},
			},
		},
		{
			name: "bad env value names the variable",
			env:  []string{"PARLEY_PIPELINE__BATCH_SIZE=lots", "PARLEY_MODE=prod"},
			want: []FieldError{
				{Path: "pipeline.batch_size", Value: "lots", Msg: `invalid whole number "lots" (from PARLEY_PIPELINE__BATCH_SIZE)`},
				{Path: "mode", Value: Mode("prod"), Msg: `must be one of sandbox, production; got "prod" (from PARLEY_MODE)`},
			},
		},
		{
			name: "every problem at once",
			file: "mode: prod\n" +
				"server:\n  read_timeout: 0s\n" +
				"templates:\n  - {name: order_shipped, language: en_US, category: utility, body: \"{{1}}\"}\n" +
				"flows:\n" +
				"  - {name: a, on: {type: t}, template: {name: order_shipped, params: [data.x]}}\n" +
				"  - {name: b, on: {type: t}, template: {name: order_shipped, params: [data.x]}}\n" +
				"  - {name: c, on: {type: t}, template: {name: shipping_update}}\n",
			want: []FieldError{
				{Path: "mode", Value: Mode("prod"), Msg: `must be one of sandbox, production; got "prod"`},
				{Path: "server.read_timeout", Value: time.Duration(0), Msg: "must be > 0; got 0s"},
				{Path: "flows[2].template.name", Value: "shipping_update", Msg: `unknown template "shipping_update"`},
			},
		},
		{
			name: "wrong types",
			file: "server: 8080\nlog:\n  level: [debug]\nstore:\n  readers: 2.5\nwhatsapp:\n  timeout: 10\nflows: {}\n",
			want: []FieldError{
				{Path: "server", Msg: "expected a mapping of keys, got a number"},
				{Path: "log.level", Value: []any{"debug"}, Msg: "expected a string, got a list"},
				{Path: "store.readers", Value: 2.5, Msg: "expected a whole number, got 2.5"},
				{Path: "whatsapp.timeout", Value: 10, Msg: "invalid duration 10: use a number with a unit, e.g. 15s or 200ms"},
				{Path: "flows", Msg: "expected a list, got a mapping"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := LoadOptions{Env: append([]string{}, tt.env...)}
			if tt.file != "" {
				opts.File = writeFile(t, tt.file)
			}
			cfg, err := Load(opts)
			if cfg != nil {
				t.Errorf("Load returned a config with an error")
			}
			if diff := cmp.Diff(tt.want, fieldErrors(t, err), ignoreCause); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "leaked") {
				t.Errorf("error shows the value of an unknown key: %v", err)
			}
		})
	}
}

func TestLoadUnknownKeyIsErrUnknownKey(t *testing.T) {
	t.Parallel()
	_, err := Load(LoadOptions{File: writeFile(t, "nope: 1\n"), Env: []string{}})
	if !errors.Is(err, ErrUnknownKey) {
		t.Errorf("errors.Is(%v, ErrUnknownKey) = false", err)
	}
	var fe FieldError
	if !errors.As(err, &fe) || fe.Path != "nope" {
		t.Errorf("errors.As FieldError = %+v, want path nope", fe)
	}
	if got, want := err.Error(), "invalid config: nope: unknown key"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadConfigFileFromEnv(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "log: {format: json}\n")
	cfg, err := Load(LoadOptions{Env: []string{EnvConfigFile + "=" + path}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Format != "json" {
		t.Errorf("log.format = %q, want json from %s", cfg.Log.Format, EnvConfigFile)
	}
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	_, err := Load(LoadOptions{File: filepath.Join(t.TempDir(), "missing.yaml"), Env: []string{}})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error = %v, want fs.ErrNotExist", err)
	}
	_, err = Load(LoadOptions{File: writeFile(t, "mode: [\n"), Env: []string{}})
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) {
		t.Errorf("bad YAML: error = %v, want a parse error", err)
	}
}

func TestLoadProduction(t *testing.T) {
	t.Parallel()
	const base = "mode: production\n"
	const complete = base + "api:\n  keys:\n    - name: ops\n      scopes: [admin]\n      hash: sha256:e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f\n" +
		"whatsapp:\n  phone_number_id: \"106540352242922\"\n  access_token: tok\n  app_secret: app\n  verify_token: ver\n"
	tests := []struct {
		name string
		file string
		env  []string
		want []FieldError // nil: loads
	}{
		{
			name: "everything missing",
			file: base,
			want: []FieldError{
				{Path: "whatsapp.phone_number_id", Value: "", Msg: "required in production mode"},
				{Path: "whatsapp.access_token", Value: Secret(""), Msg: "required in production mode"},
				{Path: "whatsapp.app_secret", Value: Secret(""), Msg: "required in production mode"},
				{Path: "whatsapp.verify_token", Value: Secret(""), Msg: "required in production mode"},
				{Path: "api.keys", Value: []KeyHash{}, Msg: "production mode needs at least one API key: list one under api.keys or set PARLEY_API_KEY"},
			},
		},
		{
			name: "complete file",
			file: complete,
		},
		{
			name: "secrets and key from the environment",
			file: base + "whatsapp: {phone_number_id: \"1\"}\n",
			env: []string{"PARLEY_WHATSAPP__ACCESS_TOKEN=t", "PARLEY_WHATSAPP__APP_SECRET=a",
				"PARLEY_WHATSAPP__VERIFY_TOKEN=v", "PARLEY_API_KEY=k"},
		},
		{
			name: "empty env value blanks a secret",
			file: complete,
			env:  []string{"PARLEY_WHATSAPP__APP_SECRET="},
			want: []FieldError{{Path: "whatsapp.app_secret", Value: Secret(""), Msg: "required in production mode (from PARLEY_WHATSAPP__APP_SECRET)"}},
		},
		{
			name: "bad ids and key hash",
			file: strings.Replace(strings.Replace(complete, `"106540352242922"`, "\"+1 555\"", 1), "sha256:e2", "sha256:E2", 1),
			want: []FieldError{
				{Path: "api.keys[0].hash", Value: "sha256:E2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f",
					Msg: `"sha256:E2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f" does not match ^sha256:[0-9a-f]{64}$`},
				{Path: "whatsapp.phone_number_id", Value: "+1 555", Msg: `"+1 555" does not match ^[0-9]+$`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(LoadOptions{File: writeFile(t, tt.file), Env: append([]string{}, tt.env...)})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(cfg.APIKeyHashes()) != 1 {
					t.Errorf("APIKeyHashes() = %v, want one key", cfg.APIKeyHashes())
				}
				return
			}
			if diff := cmp.Diff(tt.want, fieldErrors(t, err), ignoreCause); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
