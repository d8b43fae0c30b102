package zendesk

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/action"
	"github.com/parley-hub/parley/sdk/configure"
)

// Version is the connector's version, reported in its Spec.
const Version = "0.1.0"

// Connector is the Zendesk connector. Create it with New; the plugin host
// then calls Configure before anything else. It is safe for concurrent use.
//
// Capabilities: sdk.WebhookHandler (ticket events and trigger webhooks),
// sdk.Actor (create_ticket, add_comment) and sdk.HealthChecker (checks the
// API credentials).
type Connector struct {
	now       func() time.Time
	transport http.RoundTripper // nil = http.DefaultTransport
	comments  *action.Memo
	st        configure.State[state]
}

// state is what Configure builds.
type state struct {
	cfg *config
	api *client
}

var (
	_ sdk.Connector      = (*Connector)(nil)
	_ sdk.WebhookHandler = (*Connector)(nil)
	_ sdk.Actor          = (*Connector)(nil)
	_ sdk.HealthChecker  = (*Connector)(nil)
)

// New returns an unconfigured Zendesk connector.
func New() *Connector {
	return &Connector{now: time.Now, comments: action.NewMemo(10000)}
}

// Spec describes the connector, every config field and every action.
func (c *Connector) Spec() sdk.Spec {
	return sdk.Spec{
		Name:    "zendesk",
		Version: Version,
		Description: "Zendesk Support: ticket webhooks (Zendesk events or trigger templates) as ticket.created, ticket.updated, " +
			"ticket.solved, ticket.closed and ticket.comment_added; actions to create a ticket from a WhatsApp conversation and to comment on one.",
		Config:  configFields,
		Actions: actionSpecs,
	}
}

// Configure validates cfg and applies it, reporting every problem at once.
func (c *Connector) Configure(ctx context.Context, cfg sdk.Config) error {
	parsed, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	c.st.Set(&state{cfg: parsed, api: newClient(parsed, c.transport)})
	return nil
}

// Health reports whether the connector is configured and Zendesk accepts
// its credentials (GET /api/v2/users/me answers an agent, not the anonymous
// user it answers to bad credentials).
func (c *Connector) Health(ctx context.Context) error {
	st, err := c.state()
	if err != nil {
		return err
	}
	u, err := st.api.me(ctx)
	if err != nil {
		return fmt.Errorf("zendesk health: %w", err)
	}
	if u.ID == "" {
		return fmt.Errorf("zendesk health: the API answers as an anonymous user: check %s and %s", keyEmail, keyAPIToken)
	}
	return nil
}

func (c *Connector) state() (*state, error) { return c.st.Get() }
