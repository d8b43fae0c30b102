package sdk

import (
	"context"
	"fmt"
	"sync"

	pb "github.com/parley-hub/parley/internal/connectorpb"
	"github.com/parley-hub/parley/internal/pluginwire"
)

func init() {
	pluginwire.NewServer = func(impl any) pb.ConnectorServer { return newServer(impl.(Connector)) }
}

// server is the plugin side of the wire: it enforces the Connector contract
// (config checked against the Spec, a successful Configure before anything
// else, actions checked before Do), calls the vendor's code and turns its
// errors into gRPC statuses. Configure calls are serialised.
type server struct {
	pb.UnimplementedConnectorServer
	c    Connector
	spec Spec

	mu         sync.Mutex
	configured bool
}

func newServer(c Connector) *server {
	return &server{c: c, spec: c.Spec()}
}

func (s *server) ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured {
		return toStatus(fmt.Errorf("%s: %w: Configure has not succeeded", s.spec.Name, ErrNotConfigured))
	}
	return nil
}

func (s *server) Spec(context.Context, *pb.SpecRequest) (*pb.SpecResponse, error) {
	_, wh := s.c.(WebhookHandler)
	_, po := s.c.(Poller)
	_, ac := s.c.(Actor)
	_, he := s.c.(HealthChecker)
	return &pb.SpecResponse{
		Spec:         specToPB(s.spec),
		Capabilities: &pb.Capabilities{Webhooks: wh, Polling: po, Actions: ac, Health: he},
	}, nil
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, err := s.spec.ParseConfig(req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.c.Configure(ctx, cfg); err != nil {
		return nil, toStatus(err)
	}
	s.configured = true
	return &pb.ConfigureResponse{}, nil
}

func (s *server) HandleWebhook(ctx context.Context, req *pb.WebhookRequest) (*pb.WebhookResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	h, ok := s.c.(WebhookHandler)
	if !ok {
		return nil, toStatus(fmt.Errorf("%s: webhooks: %w", s.spec.Name, ErrNotSupported))
	}
	res, err := h.HandleWebhook(ctx, webhookRequestFromPB(req))
	if err != nil {
		return nil, toStatus(err)
	}
	out, err := webhookResultToPB(res)
	return out, toStatus(err)
}

func (s *server) Poll(ctx context.Context, req *pb.PollRequest) (*pb.PollResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	p, ok := s.c.(Poller)
	if !ok {
		return nil, toStatus(fmt.Errorf("%s: polling: %w", s.spec.Name, ErrNotSupported))
	}
	res, err := p.Poll(ctx, req.GetCursor())
	if err != nil {
		return nil, toStatus(err)
	}
	out, err := pollResultToPB(res)
	return out, toStatus(err)
}

func (s *server) Do(ctx context.Context, req *pb.ActionRequest) (*pb.ActionResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	a, ok := s.c.(Actor)
	if !ok {
		return nil, toStatus(fmt.Errorf("%s: actions: %w", s.spec.Name, ErrNotSupported))
	}
	ar, err := actionRequestFromPB(req)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.spec.CheckAction(ar); err != nil {
		return nil, toStatus(err)
	}
	res, err := a.Do(ctx, ar)
	if err != nil {
		return nil, toStatus(err)
	}
	out, err := marshalObject(res.Output)
	if err != nil {
		return nil, toStatus(fmt.Errorf("%s: action %q: output: %w", s.spec.Name, ar.Action, err))
	}
	return &pb.ActionResponse{OutputJson: out}, nil
}

func (s *server) Health(ctx context.Context, _ *pb.HealthRequest) (*pb.HealthResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if h, ok := s.c.(HealthChecker); ok {
		if err := h.Health(ctx); err != nil {
			return nil, toStatus(err)
		}
	}
	return &pb.HealthResponse{}, nil
}
