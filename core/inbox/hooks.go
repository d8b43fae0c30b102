package inbox

import (
	"context"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// StatusHook sees each status the inbox applies, inside the transaction
// that applies it (the policy gate records a 131050 failure as a marketing
// opt-out). It must be idempotent: a redelivered webhook applies its
// statuses again. An error rolls the webhook back for a retry.
type StatusHook func(ctx context.Context, tx *store.Tx, st whatsapp.Status) error

// WithStatusHook makes the inbox call h for every status it applies, and
// returns in.
func (in *Inbox) WithStatusHook(h StatusHook) *Inbox {
	in.onStatus = h
	return in
}
