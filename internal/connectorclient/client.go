package connectorclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/parley-hub/parley/internal/connectorpb"
	"github.com/parley-hub/parley/sdk"
)

// Capabilities says which optional sdk interfaces a connector implements.
type Capabilities struct {
	Webhooks, Polling, Actions, Health bool
}

// Names lists the capabilities that are set: "webhooks", "polling",
// "actions", "health".
func (c Capabilities) Names() []string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{c.Webhooks, "webhooks"}, {c.Polling, "polling"}, {c.Actions, "actions"}, {c.Health, "health"}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

// Client calls one connector plugin. It is safe for concurrent use.
type Client struct {
	rpc pb.ConnectorClient
}

// New returns a Client using conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{rpc: pb.NewConnectorClient(conn)}
}

// Spec fetches the connector's spec and capabilities.
func (c *Client) Spec(ctx context.Context) (sdk.Spec, Capabilities, error) {
	res, err := c.rpc.Spec(ctx, &pb.SpecRequest{})
	if err != nil {
		return sdk.Spec{}, Capabilities{}, fromStatus(err)
	}
	caps := res.GetCapabilities()
	return specFromPB(res.GetSpec()), Capabilities{Webhooks: caps.GetWebhooks(), Polling: caps.GetPolling(),
		Actions: caps.GetActions(), Health: caps.GetHealth()}, nil
}

// Configure sends the connector its config.
func (c *Client) Configure(ctx context.Context, cfg sdk.Config) error {
	_, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Config: cfg})
	return fromStatus(err)
}

// HandleWebhook passes a webhook request to the connector.
func (c *Client) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	h := make(map[string]*pb.HeaderValues, len(req.Header))
	for k, v := range req.Header {
		h[k] = &pb.HeaderValues{Values: v}
	}
	in := &pb.WebhookRequest{Method: req.Method, Path: req.Path, RawQuery: req.RawQuery, Header: h, Body: req.Body}
	if !req.ReceivedAt.IsZero() {
		in.ReceivedAt = timestamppb.New(req.ReceivedAt)
	}
	res, err := c.rpc.HandleWebhook(ctx, in)
	if err != nil {
		return sdk.WebhookResult{}, fromStatus(err)
	}
	evs, err := eventsFromPB(res.GetEvents())
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	out := sdk.WebhookResult{Events: evs, DedupeKey: res.GetDedupeKey(), Status: int(res.GetStatus())}
	for _, s := range res.GetSkipped() {
		out.Skipped = append(out.Skipped, sdk.Skip{ID: s.GetId(), Reason: s.GetReason()})
	}
	return out, nil
}

// Poll asks the connector for events after cursor.
func (c *Client) Poll(ctx context.Context, cursor string) (sdk.PollResult, error) {
	res, err := c.rpc.Poll(ctx, &pb.PollRequest{Cursor: cursor})
	if err != nil {
		return sdk.PollResult{}, fromStatus(err)
	}
	evs, err := eventsFromPB(res.GetEvents())
	if err != nil {
		return sdk.PollResult{}, err
	}
	var wait time.Duration
	if res.GetWait() != nil {
		wait = res.GetWait().AsDuration()
	}
	return sdk.PollResult{Events: evs, Cursor: res.GetCursor(), Wait: wait}, nil
}

// Do runs an action.
func (c *Client) Do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	var in []byte
	if len(req.Input) > 0 {
		b, err := json.Marshal(req.Input)
		if err != nil {
			return sdk.ActionResult{}, fmt.Errorf("action %q: input: %w: %v", req.Action, sdk.ErrBadRequest, err)
		}
		in = b
	}
	res, err := c.rpc.Do(ctx, &pb.ActionRequest{Action: req.Action, IdempotencyKey: req.IdempotencyKey, InputJson: in})
	if err != nil {
		return sdk.ActionResult{}, fromStatus(err)
	}
	out, err := unmarshalObject(res.GetOutputJson())
	if err != nil {
		return sdk.ActionResult{}, fmt.Errorf("action %q: output from the connector: %w", req.Action, err)
	}
	return sdk.ActionResult{Output: out}, nil
}

// Health asks the connector whether its system is reachable. A connector
// without a health check is healthy while it answers.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.rpc.Health(ctx, &pb.HealthRequest{})
	return fromStatus(err)
}

func specFromPB(s *pb.Spec) sdk.Spec {
	out := sdk.Spec{Name: s.GetName(), Version: s.GetVersion(), Description: s.GetDescription(), Config: fieldsFromPB(s.GetConfig())}
	for _, a := range s.GetActions() {
		out.Actions = append(out.Actions, sdk.ActionSpec{Name: a.GetName(), Description: a.GetDescription(), Input: fieldsFromPB(a.GetInput())})
	}
	return out
}

func fieldsFromPB(fs []*pb.Field) []sdk.Field {
	if len(fs) == 0 {
		return nil
	}
	out := make([]sdk.Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, sdk.Field{Name: f.GetName(), Description: f.GetDescription(), Default: f.GetDefault(),
			Example: f.GetExample(), Required: f.GetRequired(), Secret: f.GetSecret()})
	}
	return out
}

func eventsFromPB(evs []*pb.Event) ([]sdk.Event, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	out := make([]sdk.Event, 0, len(evs))
	for i, e := range evs {
		data, err := unmarshalObject(e.GetDataJson())
		if err != nil {
			return nil, fmt.Errorf("event %d from the connector: data: %w", i, err)
		}
		ct := e.GetContact()
		attrs, err := unmarshalObject(ct.GetAttributesJson())
		if err != nil {
			return nil, fmt.Errorf("event %d from the connector: contact attributes: %w", i, err)
		}
		ev := sdk.Event{Type: e.GetType(), Source: e.GetSource(), ID: e.GetId(), Data: data,
			Contact: sdk.Contact{Phone: ct.GetPhone(), Name: ct.GetName(), Locale: ct.GetLocale(),
				Email: ct.GetEmail(), ExternalID: ct.GetExternalId(), Attributes: attrs}}
		if e.GetOccurredAt() != nil {
			ev.OccurredAt = e.GetOccurredAt().AsTime()
		}
		out = append(out, ev)
	}
	return out, nil
}

// unmarshalObject decodes a JSON object keeping numbers as json.Number.
func unmarshalObject(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// Plugin is the connector's entry in the host's go-plugin plugin set:
// dispensing it yields a *Client. Register, when set, serves the connector
// in-process (sdk/connectortest uses it with plugin.TestPluginGRPCConn).
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Register func(*grpc.Server)
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("connectorclient: the host does not serve connectors")
	}
	p.Register(s)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return New(conn), nil
}
