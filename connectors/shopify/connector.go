package shopify

import (
	"context"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
)

// Version is the connector's version, reported in its Spec.
const Version = "0.1.0"

// Connector is the Shopify connector. Create it with New; the plugin host
// then calls Configure before anything else. It is safe for concurrent use.
//
// Capabilities: sdk.WebhookHandler (Shopify webhooks), sdk.Poller (the
// abandoned-cart timer) and sdk.HealthChecker.
type Connector struct {
	now   func() time.Time
	carts *carts

	cfg configure.State[config]
}

var (
	_ sdk.Connector      = (*Connector)(nil)
	_ sdk.WebhookHandler = (*Connector)(nil)
	_ sdk.Poller         = (*Connector)(nil)
	_ sdk.HealthChecker  = (*Connector)(nil)
)

// New returns an unconfigured Shopify connector.
func New() *Connector {
	return &Connector{now: time.Now, carts: newCarts()}
}

// Spec describes the connector and every config field.
func (c *Connector) Spec() sdk.Spec {
	return sdk.Spec{
		Name:    "shopify",
		Version: Version,
		Description: "Shopify webhooks (orders, fulfillments, checkouts, SMS/WhatsApp marketing consent) as Parley events: " +
			"order.created, order.paid, order.shipped, fulfillment.created, fulfillment.updated, checkout.updated, consent.updated, " +
			"and cart.abandoned for checkouts left incomplete for abandoned_after.",
		Config: configFields,
	}
}

// Configure validates cfg and applies it, reporting every problem at once.
// It may be called again to change the configuration; pending checkouts are
// kept.
func (c *Connector) Configure(ctx context.Context, cfg sdk.Config) error {
	parsed, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	c.cfg.Set(parsed)
	return nil
}

// Health reports whether the connector is configured. Shopify offers no
// endpoint to check a client secret against, so there is nothing to ping.
func (c *Connector) Health(ctx context.Context) error {
	_, err := c.config()
	return err
}

func (c *Connector) config() (*config, error) { return c.cfg.Get() }
