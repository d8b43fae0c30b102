package flows

import (
	"context"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/store"
)

// ActionQueue takes the connector actions that flows name (a flow whose
// action.name is set). Router calls EnqueueActionTx inside the transaction in
// which it enqueues the event's messages, once per matching action flow; a
// redelivery of the event calls it again with the same flow and event, and the
// queue must then add nothing. An error rolls back the event's whole plan
// and is retried.
type ActionQueue interface {
	EnqueueActionTx(ctx context.Context, tx *store.Tx, f config.Flow, eventID string) error
}

// WithActions makes r hand the actions of action flows to q, and returns r.
// Without it an event matching an action flow is dead-lettered with
// ErrNoActions.
func (r *Router) WithActions(q ActionQueue) *Router {
	r.actions = q
	return r
}
