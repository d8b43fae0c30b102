package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/store"
)

// EmitTx stores an event Parley itself produces (a customer's message, a
// window about to close) inside the caller's transaction, enqueued for
// flows, exactly as if it had been posted; its idempotency key is
// source:id, so emitting it again stores nothing. It returns the event id,
// or the first one's on a repeat.
func (e *Events) EmitTx(ctx context.Context, tx *store.Tx, ev *event.Event) (string, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("emit %s event: %w", ev.Type, err)
	}
	d, err := e.Decode(raw, "")
	if err != nil {
		return "", fmt.Errorf("emit %s event: %w", ev.Type, err)
	}
	res, err := e.StoreTx(ctx, tx, d)
	if err != nil {
		return "", fmt.Errorf("emit %s event: %w", ev.Type, err)
	}
	var acc Accepted
	if err := json.Unmarshal(res.Body, &acc); err != nil {
		return "", fmt.Errorf("emit %s event: %w", ev.Type, err)
	}
	return acc.EventID, nil
}
