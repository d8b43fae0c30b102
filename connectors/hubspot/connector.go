package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/parley-hub/parley/sdk"
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
	notes     *memo

	mu sync.RWMutex
	st *state
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
	return &Connector{now: time.Now, notes: newMemo(10000)}
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
	st := &state{cfg: parsed, api: &client{
		base:  parsed.apiBase,
		token: parsed.accessToken,
		http:  &http.Client{Timeout: parsed.requestTimeout, Transport: c.transport},
	}}
	c.mu.Lock()
	c.st = st
	c.mu.Unlock()
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

func (c *Connector) state() (*state, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return nil, fmt.Errorf("hubspot: %w", sdk.ErrNotConfigured)
	}
	return c.st, nil
}
