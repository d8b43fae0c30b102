package hubspot

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

// Connector is the HubSpot connector. Create it with New; the plugin host
// then calls Configure before anything else. It is safe for concurrent use.
//
// Capabilities: sdk.WebhookHandler (app webhooks, signature v3), sdk.Actor
// (lookup_contact, add_note) and sdk.HealthChecker (pings the API).
type Connector struct {
	now       func() time.Time
	transport http.RoundTripper // nil = http.DefaultTransport
	notes     *action.Memo
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

// New returns an unconfigured HubSpot connector.
func New() *Connector {
	return &Connector{now: time.Now, notes: action.NewMemo(10000)}
}

// Spec describes the connector, every config field and every action.
func (c *Connector) Spec() sdk.Spec {
	return sdk.Spec{
		Name:    "hubspot",
		Version: Version,
		Description: "HubSpot CRM: app webhooks (contact.creation, contact.propertyChange, deal.propertyChange) as contact.created, " +
			"contact.updated and deal.updated with the contact read from the CRM; actions to find a contact by phone and to add a note.",
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

// Health reports whether the connector is configured and the access token
// can read contacts.
func (c *Connector) Health(ctx context.Context) error {
	st, err := c.state()
	if err != nil {
		return err
	}
	if err := st.api.ping(ctx); err != nil {
		return fmt.Errorf("hubspot health: %w", err)
	}
	return nil
}

func (c *Connector) state() (*state, error) { return c.st.Get() }
