package connectortest

import (
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Constructor returns a fresh, unconfigured connector; the suite configures
// it with Features.Config. It may use t for cleanup (a fake vendor API
// server, for instance).
type Constructor func(t *testing.T) sdk.Connector

// Features says what a connector can do and supplies the fixtures the suite
// needs. Only Config is always required; each capability flag requires the
// fixtures listed beside it.
type Features struct {
	// Webhooks says the connector implements sdk.WebhookHandler; it needs
	// ValidWebhook, ForgedWebhook and MalformedWebhook.
	Webhooks bool
	// Polling says the connector implements sdk.Poller. The suite polls from
	// PollCursor and expects valid events; point Config at a fake server.
	Polling bool
	// Actions says the connector implements sdk.Actor; every action in the
	// Spec needs at least one entry in ActionCases.
	Actions bool
	// Health says the connector implements sdk.HealthChecker and is healthy
	// once configured with Config.
	Health bool

	// Config is a complete, valid config for the test, including the test
	// signing secret the webhook fixtures use.
	Config sdk.Config

	// ValidWebhook returns a correctly signed delivery (for the secret in
	// Config) that yields at least one event. It is called several times;
	// every call must describe the same delivery.
	ValidWebhook func() sdk.WebhookRequest
	// ForgedWebhook returns a delivery whose signature is wrong, for
	// example ValidWebhook's body signed with another secret.
	ForgedWebhook func() sdk.WebhookRequest
	// MalformedWebhook returns a correctly signed delivery whose payload
	// cannot be parsed (e.g. truncated JSON).
	MalformedWebhook func() sdk.WebhookRequest
	// MoreForged are further deliveries that must be refused with
	// sdk.ErrUnauthorized, by name: a stale timestamp (replay), a missing
	// signature header...
	MoreForged map[string]func() sdk.WebhookRequest
	// MoreMalformed are further correctly signed deliveries that must be
	// refused with sdk.ErrBadRequest, by name.
	MoreMalformed map[string]func() sdk.WebhookRequest

	// WebhookAPIFailures are ways the vendor's API can fail while the
	// connector handles ValidWebhook (a 429, a 503, revoked credentials),
	// for connectors that call it then; see TestWebhookAPIFailure.
	WebhookAPIFailures []APIFailure

	// PollCursor is the cursor of the first Poll; "" by default.
	PollCursor string

	// ActionCases are calls to make, with what they must return.
	ActionCases []ActionCase

	// Timeout bounds each call to the connector; 10 s by default.
	Timeout time.Duration
}

// ActionCase is one call of an action and its expected outcome.
type ActionCase struct {
	// Name names the subtest; the action's name by default.
	Name string
	// Request is the call; its Action must be declared in the Spec.
	Request sdk.ActionRequest
	// WantErr, when set, is an error the call must wrap (errors.Is), such
	// as sdk.ErrBadRequest; when nil the call must succeed.
	WantErr error
	// Check, when set, inspects a successful result. Over gRPC, numbers in
	// Output arrive as json.Number.
	Check func(t *testing.T, res sdk.ActionResult)
}

// APIFailure is one way the vendor's API fails, and what the hub must get
// from the connector then.
type APIFailure struct {
	// Name names the subtest.
	Name string
	// Config returns a complete config under which the API fails: one
	// pointing at a fake server told to answer a fault, or one with
	// revoked credentials. It is called once per run of the case.
	Config func(t *testing.T) sdk.Config
	// Retryable says the failure is temporary (429, 5xx): the error must
	// be an sdk.RetryableError asking to wait RetryAfter (any wait when
	// RetryAfter is negative). When false, it must not be one.
	Retryable  bool
	RetryAfter time.Duration
}

func (f Features) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return 10 * time.Second
}
