package sdk

import (
	"context"
	"net/http"
	"time"
)

// Connector is what a vendor implements.
//
// The hub calls Spec first, then Configure exactly once, before any other
// call. After Configure returns nil, the optional capabilities below may be
// called concurrently from several goroutines, so an implementation must be
// safe for concurrent use. Every method must honour ctx cancellation.
type Connector interface {
	// Spec describes the connector. It must be cheap, must not block and must
	// return the same value every time; it may be called before Configure.
	Spec() Spec
	// Configure receives the connector's config: values by Field.Name, with
	// defaults applied and required fields already checked against Spec
	// (see Spec.ParseConfig). An error makes the plugin unusable; return a
	// *ConfigError to name the offending field.
	Configure(ctx context.Context, cfg Config) error
}

// Spec describes a connector: who it is, what config it takes and which
// actions flows may call.
type Spec struct {
	// Name is the connector's short name, such as "shopify": lower-case
	// letters, digits, '-' and '_'. It is the default Event.Source.
	Name string
	// Version is the connector's version, semver-like ("1.2.0" or "v1.2.0").
	Version string
	// Description is one sentence for humans.
	Description string
	// Config lists the config fields, validated by the host and by the SDK
	// before Configure.
	Config []Field
	// Actions lists the actions flows may call through Actor.Do.
	Actions []ActionSpec
}

// Field describes one config field or one action input.
type Field struct {
	// Name is the key, such as "client_secret".
	Name string
	// Description says what the field is for, in one sentence.
	Description string
	// Default is applied when the field is absent or empty.
	Default string
	// Example is shown in documentation and generated example configs.
	Example string
	// Required fields must be set (or have a Default).
	Required bool
	// Secret fields are redacted in logs, errors and config dumps.
	Secret bool
}

// ActionSpec describes an action a flow may call, such as "create_ticket".
type ActionSpec struct {
	Name        string
	Description string
	// Input lists the keys of ActionRequest.Input; Required inputs are
	// checked before Do is called over the wire.
	Input []Field
}

// Config holds config values by Field.Name, defaults applied.
type Config map[string]string

// Get returns the value of the named field, or "" when it is unset.
func (c Config) Get(name string) string { return c[name] }

// WebhookHandler is implemented by connectors that receive webhooks. The hub
// routes each HTTP request for the connector to HandleWebhook, stores the
// events it returns and only then answers the sender.
//
// HandleWebhook must verify the request's signature over the raw Body before
// parsing it. It returns an error wrapping ErrUnauthorized when the
// signature or auth check fails, ErrBadRequest when the payload is
// malformed, or a RetryableError for a temporary failure. It must be
// deterministic: the same delivery yields the same event ids and DedupeKey.
type WebhookHandler interface {
	HandleWebhook(ctx context.Context, req WebhookRequest) (WebhookResult, error)
}

// Poller is implemented by connectors that pull events. The hub calls Poll
// with the cursor returned by the previous call ("" the first time), stores
// the events and the new cursor together, then waits PollResult.Wait. Poll
// calls for one connector are never concurrent.
type Poller interface {
	Poll(ctx context.Context, cursor string) (PollResult, error)
}

// Actor is implemented by connectors that perform actions in their system
// (create a ticket, add a note). Do may be retried with the same
// IdempotencyKey after a RetryableError or a lost answer; an implementation
// should pass the key on to the vendor's API where it supports one. Unknown
// actions and bad inputs are errors wrapping ErrBadRequest.
type Actor interface {
	Do(ctx context.Context, req ActionRequest) (ActionResult, error)
}

// HealthChecker is implemented by connectors that can tell whether their
// system is reachable. The hub calls Health periodically; it must return
// quickly and never change state.
type HealthChecker interface {
	Health(ctx context.Context) error
}

// WebhookRequest is an HTTP request received by the hub for a connector.
type WebhookRequest struct {
	Method   string
	Path     string // path below the connector's mount point, such as "/orders"
	RawQuery string
	Header   http.Header
	Body     []byte // the raw bytes, exactly as received: verify signatures over these
	// ReceivedAt is when the hub received the request; use it, not
	// time.Now, for replay windows so that tests are deterministic.
	ReceivedAt time.Time
}

// WebhookResult is what a webhook turned into.
type WebhookResult struct {
	// Events are the canonical events to store.
	Events []Event
	// Skipped lists items deliberately not turned into events, with the
	// reason (e.g. an unparseable phone). The hub records them.
	Skipped []Skip
	// DedupeKey is the delivery-level dedupe key (e.g. shop domain +
	// X-Shopify-Webhook-Id); "" means none.
	DedupeKey string
	// Status is the HTTP status to answer once the events are stored; 0
	// means 200.
	Status int
}

// Skip is an item of a webhook or poll deliberately not turned into an event.
type Skip struct {
	ID     string // the item's id in the source system, if known
	Reason string
}

// PollResult is one page of polled events.
type PollResult struct {
	Events []Event
	// Cursor is passed to the next Poll call.
	Cursor string
	// Wait is how long to wait before the next Poll; 0 lets the hub choose.
	Wait time.Duration
}

// ActionRequest asks a connector to perform an action.
type ActionRequest struct {
	// Action is an ActionSpec.Name from the connector's Spec.
	Action string
	// IdempotencyKey is the same across retries of one logical call.
	IdempotencyKey string
	// Input holds the action's inputs as decoded JSON values: string,
	// json.Number, bool, nil, []any and map[string]any.
	Input map[string]any
}

// ActionResult is what an action returned, as JSON-encodable values.
type ActionResult struct {
	Output map[string]any
}
