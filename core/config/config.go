package config

import (
	"path/filepath"
	"time"
)

// Mode selects how Parley reaches WhatsApp.
type Mode string

// The run modes.
const (
	// ModeSandbox runs the embedded WhatsApp Cloud API emulator with generated
	// secrets; nothing leaves the machine.
	ModeSandbox Mode = "sandbox"
	// ModeProduction talks to the real Cloud API.
	ModeProduction Mode = "production"
)

// Config is the whole configuration. Field documentation, defaults and
// constraints live in the struct tags (see the package doc); Default applies the
// defaults and Validate checks the constraints.
type Config struct {
	Mode       Mode        `koanf:"mode" default:"sandbox" required:"true" enum:"sandbox|production" desc:"Run mode. sandbox runs an embedded WhatsApp Cloud API emulator with generated secrets, so nothing leaves the machine. production talks to the real Cloud API and requires whatsapp.phone_number_id, access_token, app_secret, verify_token and at least one API key (api.keys or PARLEY_API_KEY)."`
	DataDir    string      `koanf:"data_dir" default:"./parley-data" required:"true" desc:"Directory for the database and other state; created if missing. A relative path is taken from the working directory."`
	Server     Server      `koanf:"server" desc:"HTTP server for the API and incoming webhooks."`
	Log        Log         `koanf:"log" desc:"Logging to standard error."`
	Store      Store       `koanf:"store" desc:"SQLite database."`
	API        API         `koanf:"api" desc:"HTTP API access."`
	WhatsApp   WhatsApp    `koanf:"whatsapp" desc:"WhatsApp Cloud API account. Used in production mode; sandbox mode generates its own."`
	Emulator   Emulator    `koanf:"emulator" desc:"The embedded WhatsApp Cloud API emulator. Used only in sandbox mode."`
	Pipeline   Pipeline    `koanf:"pipeline" desc:"Event processing: retries, leases and batching."`
	Connectors []Connector `koanf:"connectors" desc:"Connector plugins: programs that turn another system's webhooks (or polls) into events and run actions in it (create a ticket, add a note). Each receives webhooks at /connectors/{name}/webhook; flows call its actions as {name}.{action}. Parley checks each binary's SHA-256, starts it, and restarts it if it crashes."`
	Escalation Escalation  `koanf:"escalation" desc:"Hand-over to a person: customers' messages that ask for one become conversation.escalated events."`
	Contacts   Contacts    `koanf:"contacts" desc:"How people are identified: phone numbers, time zones, languages."`
	Consent    Consent     `koanf:"consent" desc:"The consent ledger: the lawful basis of each purpose and the stop and start keywords."`
	Window     Window      `koanf:"window" desc:"The customer-service window: free-form messages only within 24 hours of the customer's last message; templates otherwise. A click-to-WhatsApp entry starts a 72-hour free entry point period, which changes pricing, not what may be sent."`
	Guard      Guard       `koanf:"guard" desc:"Guardrails applied before every send: frequency caps, quiet hours and pacing."`
	Templates  []Template  `koanf:"templates" desc:"Message templates Parley may send, as approved in WhatsApp Manager. Meta's default hello_world (en_US, no params) is always known and need not be listed. Without a config file the demo template below is used; with a file, only the templates listed in it."`
	Flows      []Flow      `koanf:"flows" desc:"Rules: when an event of a type (and optionally a source) arrives, send a template or a text to a phone number taken from the event, or run a connector's action. Without a config file the demo flow below is used; with a file, only the flows listed in it."`

	// APIKeyFromEnv is the raw API key from PARLEY_API_KEY, if set. It is not a
	// config key and is never dumped; APIKeyHashes includes its hash.
	APIKeyFromEnv Secret `koanf:"-"`
}

// Server configures the HTTP server.
type Server struct {
	Addr         string        `koanf:"addr" default:"127.0.0.1:8080" required:"true" format:"hostport" desc:"Listen address. Port 0 picks a free port."`
	PublicURL    string        `koanf:"public_url" format:"url" example:"https://parley.example.com" desc:"Base URL at which others reach this server, used when printing URLs such as the webhook callback. Optional; empty means http://<addr>."`
	ReadTimeout  time.Duration `koanf:"read_timeout" default:"15s" min:">0" desc:"Longest time to read a request, body included."`
	WriteTimeout time.Duration `koanf:"write_timeout" default:"30s" min:">0" desc:"Longest time to write a response."`
	PprofAddr    string        `koanf:"pprof_addr" format:"hostport" example:"127.0.0.1:6060" desc:"If set, serves Go's profiler (/debug/pprof/) on this separate address, for performance work. Keep it on loopback. Empty turns it off."`
	MetricsAddr  string        `koanf:"metrics_addr" format:"hostport" example:"127.0.0.1:9090" desc:"If set, serves the Prometheus metrics (/metrics) on this separate address and not on addr. Empty serves them at /metrics on addr, without an API key: counts and latencies only, no personal data, but set this when addr is reachable from the internet (Meta's webhooks need it to be)."`
	MaxBodyBytes int64         `koanf:"max_body_bytes" default:"3145728" min:"1" desc:"Largest request body accepted, in bytes. The default, 3 MiB, is the largest webhook payload Meta sends."`
}

// Log configures logging.
type Log struct {
	Level  string `koanf:"level" default:"info" required:"true" enum:"debug|info|warn|error" desc:"Least severe level written."`
	Format string `koanf:"format" default:"text" required:"true" enum:"text|json" desc:"Output format: text for people, json for log collectors."`
}

// Store configures the SQLite database.
type Store struct {
	Path        string        `koanf:"path" example:"/var/lib/parley/parley.db" desc:"Database file. Empty means parley.db in data_dir."`
	BusyTimeout time.Duration `koanf:"busy_timeout" default:"5s" min:">0" desc:"How long a connection waits for a lock held by another before failing."`
	Synchronous string        `koanf:"synchronous" default:"FULL" required:"true" enum:"FULL|NORMAL" desc:"SQLite synchronous pragma. FULL survives power loss; NORMAL is faster and, in WAL mode, may lose the last transactions on power loss but never corrupts."`
	Readers     int           `koanf:"readers" default:"4" min:"1" max:"64" desc:"Read-only connections in the pool, beside the single writer."`
}

// StorePath returns store.path, or parley.db in data_dir when it is empty.
func (c *Config) StorePath() string {
	if c.Store.Path != "" {
		return c.Store.Path
	}
	return filepath.Join(c.DataDir, "parley.db")
}

// API configures access to the HTTP API.
type API struct {
	Keys []KeyHash `koanf:"keys" desc:"API keys accepted by the HTTP API, stored as hashes, never as the keys themselves. PARLEY_API_KEY adds one more at run time. Production mode needs at least one."`
}

// KeyHash is an API key as stored in the config: a name and a hash of the key.
type KeyHash struct {
	Name string `koanf:"name" required:"true" example:"ops" desc:"Name of the key, shown in logs and audit records."`
	Hash string `koanf:"hash" required:"true" pattern:"^sha256:[0-9a-f]{64}$" example:"sha256:e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f" desc:"\"sha256:\" followed by the lowercase hex SHA-256 of the key (printf %s KEY | sha256sum). The example is the hash of \"change-me\"."`
	// Scopes, NotBefore and ExpiresAt: see apikey.go.
	Scopes    []string `koanf:"scopes" enum:"events:write|messages:send|messages:read|contacts:read|contacts:write|connectors:read|dlq:read|dlq:replay|admin" example:"events:write,messages:read" desc:"What the key may do; at least one. events:write posts events; messages:send and messages:read send and read messages; contacts:read and contacts:write; connectors:read lists the connector plugins; dlq:read and dlq:replay list and replay dead letters; admin grants every scope. A request the key's scopes do not cover gets 403 naming the scope it needs. PARLEY_API_KEY and the sandbox key have admin."`
	NotBefore string   `koanf:"not_before" format:"timestamp" desc:"When the key starts to be accepted, e.g. 2026-07-01T00:00:00Z. Empty: at once."`
	ExpiresAt string   `koanf:"expires_at" format:"timestamp" desc:"When the key stops being accepted (401 from then on), e.g. 2026-12-31T00:00:00Z. Empty: never. To rotate a key, add the new one, give the old one an expires_at, move clients over; both work until then. Parley warns at start about keys that expire within 7 days."`
}

// WhatsApp configures the Cloud API account.
type WhatsApp struct {
	BaseURL       string        `koanf:"base_url" default:"https://graph.facebook.com" required:"true" format:"url" desc:"Graph API base URL. Sandbox mode uses the emulator's URL instead."`
	APIVersion    string        `koanf:"api_version" default:"v23.0" required:"true" pattern:"^v\\d+\\.\\d+$" desc:"Graph API version, as in /v23.0/ in request paths."`
	PhoneNumberID string        `koanf:"phone_number_id" required:"production" pattern:"^[0-9]+$" example:"106540352242922" desc:"ID of the business phone number that sends (not the phone number itself), from WhatsApp Manager."`
	WABAID        string        `koanf:"waba_id" pattern:"^[0-9]+$" example:"102290129340398" desc:"WhatsApp Business Account ID, used to list and sync templates. Optional."`
	AccessToken   Secret        `koanf:"access_token" required:"production" desc:"System-user access token with whatsapp_business_messaging permission."`
	AppSecret     Secret        `koanf:"app_secret" required:"production" desc:"Meta app secret, used to check the X-Hub-Signature-256 of incoming webhooks."`
	VerifyToken   Secret        `koanf:"verify_token" required:"production" desc:"Token you chose when subscribing the webhook; Meta echoes it to verify the callback URL."`
	Timeout       time.Duration `koanf:"timeout" default:"10s" min:">0" desc:"Timeout of one Cloud API request."`
}

// Emulator configures the embedded Cloud API emulator used in sandbox mode.
type Emulator struct {
	Addr          string        `koanf:"addr" default:"127.0.0.1:8089" required:"true" format:"hostport" desc:"Listen address of the emulator; the default is where parley emulator say looks. Port 0 picks a free port."`
	StatusLatency time.Duration `koanf:"status_latency" default:"50ms" min:"0s" desc:"Delay before each simulated status webhook (sent, delivered)."`
	ReadAfter     time.Duration `koanf:"read_after" default:"100ms" min:"0s" desc:"Delay after delivered before the simulated customer reads the message. 0 means never."`
	FaultRate     float64       `koanf:"fault_rate" default:"0" min:"0" max:"1" desc:"Share of sends that fail with a random Cloud API error, to exercise retries."`
}

// Pipeline configures event processing.
type Pipeline struct {
	Retry        Retry         `koanf:"retry" desc:"Retries of retryable failures, with exponential back-off."`
	LeaseTimeout time.Duration `koanf:"lease_timeout" default:"30s" min:">0" desc:"How long a worker holds a claimed event before another may take it over."`
	BatchSize    int           `koanf:"batch_size" default:"64" min:"1" max:"10000" desc:"Most events claimed and written in one transaction."`
}

// Retry configures exponential back-off.
type Retry struct {
	MaxRetries      int           `koanf:"max_retries" default:"8" min:"0" desc:"Retries after the first attempt before the event goes to the dead-letter queue."`
	InitialInterval time.Duration `koanf:"initial_interval" default:"200ms" min:">0" desc:"Wait before the first retry."`
	MaxInterval     time.Duration `koanf:"max_interval" default:"30s" min:">0" desc:"Longest wait between retries; at least initial_interval."`
	Multiplier      float64       `koanf:"multiplier" default:"2" min:"1" desc:"Factor by which the wait grows after each retry."`
}

// Template is a message template known to Parley.
type Template struct {
	Name            string            `koanf:"name" required:"true" pattern:"^[a-z0-9_]+$" desc:"Template name as approved in WhatsApp Manager: lowercase letters, digits and underscores."`
	Language        string            `koanf:"language" pattern:"^[a-z]{2,3}(_[A-Z]{2})?$" desc:"Language code of this translation, e.g. en_US or pt_BR: a template with one language. Several languages: one entry per name and language, or the variants list. Set language and body, or variants."`
	Category        string            `koanf:"category" required:"true" enum:"marketing|utility|authentication" desc:"Template category, which decides pricing and the consent needed."`
	Body            string            `koanf:"body" desc:"Body text of the language's translation, with positional parameters {{1}}, {{2}}, ... numbered without gaps (or named ones, {{order_number}}, with parameter_format named); their count is the number of params a flow must give."`
	Version         int               `koanf:"version" min:"0" desc:"Your version of the template, recorded with each decision; 0 when not versioned."`
	ParameterFormat string            `koanf:"parameter_format" enum:"positional|named" desc:"positional (or empty): {{1}}, {{2}}, ... filled in order; named: {{lower_snake}} placeholders filled by params[].name."`
	Params          []TemplateParam   `koanf:"params" desc:"The parameter schema, in order: name and type of each placeholder. Checked before every send, so the platform never answers 132000. Empty: every placeholder is text."`
	DefaultLanguage string            `koanf:"default_language" pattern:"^[a-z]{2,3}(_[A-Z]{2})?$" desc:"The last language of the fallback chain (pt_BR, pt, then this). Empty: the first language listed."`
	Variants        []TemplateVariant `koanf:"variants" desc:"The template's translations, one per language."`
}

// Flow is a rule: on an event, send a template or a text.
type Flow struct {
	Name     string        `koanf:"name" required:"true" desc:"Unique name of the flow, used in logs and analytics."`
	On       Trigger       `koanf:"on" desc:"Which events start the flow."`
	To       string        `koanf:"to" default:"contact.phone" required:"true" format:"eventpath" desc:"Path in the event to the recipient's phone number (E.164)."`
	Template *FlowTemplate `koanf:"template" desc:"Template to send. Exactly one of template, text and action."`
	Text     string        `koanf:"text" example:"Your order {{data.order_number}} has shipped." desc:"Free-form text to send, with {{path}} placeholders filled from the event; only delivered inside the 24-hour customer service window. Exactly one of template, text and action."`
	Action   FlowAction    `koanf:"action" desc:"Connector action to run instead of sending a message, such as creating a help-desk ticket. Exactly one of template, text and action."`

	Interactive *Interactive `koanf:"interactive" desc:"Reply buttons or a list menu to send instead of a template or text; each option's reply starts the flow it names as next."`
	Category    string       `koanf:"category" enum:"marketing|utility|authentication|service" desc:"Purpose of the message, which decides the consent needed, caps and quiet hours. Empty: the template's category; service for text and interactive messages."`
	WhenClosed  *WhenClosed  `koanf:"when_closed" desc:"For text and interactive messages: what to do when the customer-service window is closed. Without it the conversation goes to the agent queue."`
	Tags        []string     `koanf:"tags" desc:"Tags added to the contact when the flow runs."`
	Handoff     bool         `koanf:"handoff" desc:"Whether the flow hands the conversation to a person: it enters the agent queue and the bot pauses for the contact until an agent hands it back."`
}

// Trigger selects events.
type Trigger struct {
	Type   string `koanf:"type" required:"true" example:"order.shipped" desc:"Canonical event type that starts the flow."`
	Source string `koanf:"source" example:"shopify" desc:"Only events from this source (connector name). Empty matches every source."`

	Conditions []Condition `koanf:"conditions" desc:"Tests on the event's fields; the flow starts only when all hold."`
}

// FlowTemplate says which template a flow sends and how to fill it.
type FlowTemplate struct {
	Name     string   `koanf:"name" required:"true" desc:"Template name: one listed under templates, or hello_world."`
	Language string   `koanf:"language" pattern:"^[a-z]{2,3}(_[A-Z]{2})?$" desc:"Language to send. Empty: the contact's language through the fallback chain: pt_BR, then pt, then the template's default_language (its first listed language), skipping languages the platform has not approved."`
	Params   []string `koanf:"params" format:"eventpath" desc:"Event paths whose values fill {{1}}, {{2}}, ... in order: contact.<field>, data.<field>, id, type, source or occurred_at."`
}

// Default returns the configuration used when no file is given: sandbox mode,
// every default from the struct tags, and a demo template and flow that send
// order_shipped on order.shipped events.
func Default() *Config {
	c := defaults()
	c.Templates = []Template{{
		Name:     "order_shipped",
		Category: "utility",
		Params: []TemplateParam{
			{Name: "customer_name", Type: "text"},
			{Name: "order_number", Type: "text"},
			{Name: "tracking_url", Type: "text"},
		},
		Variants: []TemplateVariant{
			{Language: "en_US", Body: "Hi {{1}}, your order {{2}} has shipped. Track it: {{3}}"},
			{Language: "pt_BR", Body: "Olá {{1}}, seu pedido {{2}} foi enviado. Acompanhe: {{3}}"},
			{Language: "es", Body: "Hola {{1}}, tu pedido {{2}} fue enviado. Síguelo: {{3}}"},
		},
	}}
	c.Flows = []Flow{{
		Name: "order_shipped",
		On:   Trigger{Type: "order.shipped"},
		To:   "contact.phone",
		Template: &FlowTemplate{
			Name:   "order_shipped",
			Params: []string{"contact.name", "data.order_number", "data.tracking_url"},
		},
	}}
	return c
}

// defaults returns a Config holding only the defaults declared in struct tags:
// no templates, flows or API keys.
func defaults() *Config {
	c := new(Config)
	applyDefaults(valueOf(c))
	return c
}
