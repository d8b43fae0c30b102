package plugins

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-hub/parley/internal/connectorclient"
	"github.com/parley-hub/parley/sdk"
)

// Client calls one connector plugin by name, whichever process currently
// runs it. It is safe for concurrent use and cheap to copy. While the
// plugin is down or restarting every call fails with an error wrapping
// ErrUnavailable; errors the connector returns keep their sdk meaning
// (errors.Is(err, sdk.ErrUnauthorized), sdk.IsRetryable...).
type Client struct {
	m *managed
}

// Name returns the plugin's name in the hub.
func (c Client) Name() string {
	if c.m == nil {
		return ""
	}
	return c.m.cfg.Name
}

// Spec returns the connector's spec, as reported by its last successful
// launch.
func (c Client) Spec(context.Context) (sdk.Spec, error) {
	if c.m == nil {
		return sdk.Spec{}, errNoSuchPlugin
	}
	c.m.mu.RLock()
	defer c.m.mu.RUnlock()
	if c.m.spec.Name == "" {
		return sdk.Spec{}, fmt.Errorf("connector %q: %w: never started", c.m.cfg.Name, ErrUnavailable)
	}
	return c.m.spec, nil
}

// HandleWebhook passes a webhook request to the connector.
func (c Client) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	cl, err := c.conn()
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	res, err := cl.HandleWebhook(ctx, req)
	return res, c.wrap(ctx, "webhook", err)
}

// Poll asks the connector for events after cursor.
func (c Client) Poll(ctx context.Context, cursor string) (sdk.PollResult, error) {
	cl, err := c.conn()
	if err != nil {
		return sdk.PollResult{}, err
	}
	res, err := cl.Poll(ctx, cursor)
	return res, c.wrap(ctx, "poll", err)
}

// Do runs an action of the connector.
func (c Client) Do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	cl, err := c.conn()
	if err != nil {
		return sdk.ActionResult{}, err
	}
	res, err := cl.Do(ctx, req)
	return res, c.wrap(ctx, fmt.Sprintf("action %q", req.Action), err)
}

// Health asks the connector whether its system is reachable.
func (c Client) Health(ctx context.Context) error {
	cl, err := c.conn()
	if err != nil {
		return err
	}
	return c.wrap(ctx, "health", cl.Health(ctx))
}

// errNoSuchPlugin is what the zero Client (from Connector with an unknown
// name) answers.
var errNoSuchPlugin = fmt.Errorf("no such connector plugin: %w", ErrUnavailable)

func (c Client) conn() (*connectorclient.Client, error) {
	if c.m == nil {
		return nil, errNoSuchPlugin
	}
	c.m.mu.RLock()
	defer c.m.mu.RUnlock()
	if c.m.conn == nil {
		return nil, fmt.Errorf("connector %q is %s: %w", c.m.cfg.Name, c.m.state, ErrUnavailable)
	}
	return c.m.conn, nil
}

// wrap adds the plugin's name, and turns a broken connection into
// ErrUnavailable: a transport failure, or a cancellation the caller did not
// ask for (gRPC cancels calls on a connection the host is closing because
// the process died).
func (c Client) wrap(ctx context.Context, what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, connectorclient.ErrTransport),
		errors.Is(err, context.Canceled) && ctx.Err() == nil:
		c.m.poke()
		return fmt.Errorf("connector %q: %s: %w: %w", c.m.cfg.Name, what, ErrUnavailable, err)
	default:
		return fmt.Errorf("connector %q: %s: %w", c.m.cfg.Name, what, err)
	}
}
