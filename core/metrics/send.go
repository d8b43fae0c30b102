package metrics

import (
	"context"

	"github.com/parley-hub/parley/core/whatsapp"
)

// Sender is the Cloud API client of the send stage (delivery.Client).
type Sender interface {
	Send(ctx context.Context, req *whatsapp.SendRequest) (*whatsapp.SendResponse, error)
}

// Client returns next, counting each send attempt in
// parley_messages_sent_total by outcome: accepted, or the class of the
// failure (whatsapp.ClassOf). It changes nothing else.
func (m *Metrics) Client(next Sender) Sender {
	return &countingSender{next: next, m: m}
}

type countingSender struct {
	next Sender
	m    *Metrics
}

func (c *countingSender) Send(ctx context.Context, req *whatsapp.SendRequest) (*whatsapp.SendResponse, error) {
	resp, err := c.next.Send(ctx, req)
	outcome := "accepted"
	if err != nil {
		outcome = string(whatsapp.ClassOf(err))
	}
	c.m.sends.WithLabelValues(known(sendOutcomes, outcome)).Inc()
	return resp, err
}
