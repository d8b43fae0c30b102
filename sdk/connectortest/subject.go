package connectortest

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/parley-hub/parley/internal/connectorclient"
	"github.com/parley-hub/parley/internal/pluginwire"
	"github.com/parley-hub/parley/sdk"
)

// subject is a connector under test, reached in-process or over gRPC. Both
// kinds apply the SDK's contract the same way: config checked against the
// Spec before Configure, actions checked before Do.
type subject interface {
	spec() sdk.Spec
	caps() connectorclient.Capabilities
	remote() bool
	configure(ctx context.Context, values sdk.Config) error
	webhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error)
	poll(ctx context.Context, cursor string) (sdk.PollResult, error)
	do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error)
	health(ctx context.Context) error
}

func newSubject(t *testing.T, newConnector Constructor) subject {
	t.Helper()
	c := newConnector(t)
	if c == nil {
		t.Fatal("the constructor returned a nil connector")
	}
	if r, ok := c.(*Remote); ok {
		return remoteSubject{r}
	}
	return localSubject{c}
}

// localSubject calls the connector directly, doing what sdk.Serve's server
// does around each call.
type localSubject struct{ c sdk.Connector }

func (s localSubject) spec() sdk.Spec { return s.c.Spec() }
func (s localSubject) remote() bool   { return false }

func (s localSubject) caps() connectorclient.Capabilities {
	_, wh := s.c.(sdk.WebhookHandler)
	_, po := s.c.(sdk.Poller)
	_, ac := s.c.(sdk.Actor)
	_, he := s.c.(sdk.HealthChecker)
	return connectorclient.Capabilities{Webhooks: wh, Polling: po, Actions: ac, Health: he}
}

func (s localSubject) configure(ctx context.Context, values sdk.Config) error {
	cfg, err := s.c.Spec().ParseConfig(values)
	if err != nil {
		return err
	}
	return s.c.Configure(ctx, cfg)
}

func (s localSubject) webhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	h, ok := s.c.(sdk.WebhookHandler)
	if !ok {
		return sdk.WebhookResult{}, sdk.ErrNotSupported
	}
	return h.HandleWebhook(ctx, req)
}

func (s localSubject) poll(ctx context.Context, cursor string) (sdk.PollResult, error) {
	p, ok := s.c.(sdk.Poller)
	if !ok {
		return sdk.PollResult{}, sdk.ErrNotSupported
	}
	return p.Poll(ctx, cursor)
}

func (s localSubject) do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	a, ok := s.c.(sdk.Actor)
	if !ok {
		return sdk.ActionResult{}, sdk.ErrNotSupported
	}
	if err := s.c.Spec().CheckAction(req); err != nil {
		return sdk.ActionResult{}, err
	}
	return a.Do(ctx, req)
}

func (s localSubject) health(ctx context.Context) error {
	if h, ok := s.c.(sdk.HealthChecker); ok {
		return h.Health(ctx)
	}
	return nil
}

type remoteSubject struct{ r *Remote }

func (s remoteSubject) spec() sdk.Spec                     { return s.r.Spec() }
func (s remoteSubject) caps() connectorclient.Capabilities { return s.r.caps }
func (s remoteSubject) remote() bool                       { return true }
func (s remoteSubject) configure(ctx context.Context, values sdk.Config) error {
	return s.r.Configure(ctx, values)
}
func (s remoteSubject) webhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	return s.r.HandleWebhook(ctx, req)
}
func (s remoteSubject) poll(ctx context.Context, cursor string) (sdk.PollResult, error) {
	return s.r.Poll(ctx, cursor)
}
func (s remoteSubject) do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	return s.r.Do(ctx, req)
}
func (s remoteSubject) health(ctx context.Context) error { return s.r.Health(ctx) }

// Remote is a connector reached through the real go-plugin gRPC server and
// client, in-process. It implements sdk.Connector and every optional
// capability; the ones the served connector lacks fail with
// sdk.ErrNotSupported, as they do for the hub.
type Remote struct {
	c    *connectorclient.Client
	spec sdk.Spec
	caps connectorclient.Capabilities
}

// Spec returns the spec the served connector sent when it was dispensed.
func (r *Remote) Spec() sdk.Spec { return r.spec }

// Configure implements sdk.Connector; the SDK's server checks cfg against
// the Spec first, so missing required fields fail with *sdk.ConfigError.
func (r *Remote) Configure(ctx context.Context, cfg sdk.Config) error {
	return r.c.Configure(ctx, cfg)
}

// HandleWebhook implements sdk.WebhookHandler.
func (r *Remote) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	return r.c.HandleWebhook(ctx, req)
}

// Poll implements sdk.Poller.
func (r *Remote) Poll(ctx context.Context, cursor string) (sdk.PollResult, error) {
	return r.c.Poll(ctx, cursor)
}

// Do implements sdk.Actor.
func (r *Remote) Do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	return r.c.Do(ctx, req)
}

// Health implements sdk.HealthChecker.
func (r *Remote) Health(ctx context.Context) error { return r.c.Health(ctx) }

// OverGRPC wraps a constructor so that each connector it makes is served
// by go-plugin's real gRPC server (in its in-process test mode, with the
// SDK's Connector service) and reached through go-plugin's real client and
// the hub's connector client; both are stopped when the test ends.
func OverGRPC(newConnector Constructor) Constructor {
	return func(t *testing.T) sdk.Connector {
		t.Helper()
		c := newConnector(t)
		ps := map[string]plugin.Plugin{pluginwire.PluginName: &connectorclient.Plugin{
			Register: func(s *grpc.Server) { pluginwire.Register(s, c) },
		}}
		// go-plugin logs a closed listener as an error on every shutdown;
		// real failures surface as errors of the calls themselves.
		logger := hclog.NewNullLogger()
		ctx, stop := context.WithCancel(context.Background())
		reattach := make(chan *plugin.ReattachConfig, 1)
		closed := make(chan struct{})
		go plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: pluginwire.Handshake(sdk.ProtocolVersion),
			Plugins:         ps,
			GRPCServer:      plugin.DefaultGRPCServer,
			Logger:          logger,
			Test:            &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
		})
		var rc *plugin.ReattachConfig
		select {
		case rc = <-reattach:
		case <-time.After(10 * time.Second):
			stop()
			t.Fatal("the in-process plugin server did not start within 10s")
		}
		client := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  pluginwire.Handshake(sdk.ProtocolVersion),
			Plugins:          ps,
			Reattach:         rc,
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			Logger:           logger,
		})
		t.Cleanup(func() {
			client.Kill()
			stop()
			<-closed
		})
		rpc, err := client.Client()
		if err != nil {
			t.Fatalf("connect to the in-process plugin: %v", err)
		}
		raw, err := rpc.Dispense(pluginwire.PluginName)
		if err != nil {
			t.Fatalf("dispense the connector over gRPC: %v", err)
		}
		cl := raw.(*connectorclient.Client)
		spec, caps, err := cl.Spec(t.Context())
		if err != nil {
			t.Fatalf("Spec over gRPC: %v", err)
		}
		return &Remote{c: cl, spec: spec, caps: caps}
	}
}

var (
	_ sdk.Connector      = (*Remote)(nil)
	_ sdk.WebhookHandler = (*Remote)(nil)
	_ sdk.Poller         = (*Remote)(nil)
	_ sdk.Actor          = (*Remote)(nil)
	_ sdk.HealthChecker  = (*Remote)(nil)
)
