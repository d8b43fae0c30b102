package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/store"
)

// ReplayHook is the webhooks topic's deadletter.ReplayHook. A body marked
// dead (it did not parse) goes back to pending, so that the inbox stage
// parses it again, after an upgrade that reads it, say; a body still pending
// (applying it failed for good) is republished as it is. A processed body is
// refused with deadletter.ErrNotReplayable.
func (in *Inbox) ReplayHook(ctx context.Context, tx *store.Tx, l *deadletter.Letter) error {
	id, err := strconv.ParseInt(l.Payload, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook inbox id %q: %w", l.Payload, deadletter.ErrNotReplayable)
	}
	var state string
	err = tx.QueryRow(ctx, `SELECT state FROM webhook_inbox WHERE id = ?`, id).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("webhook %d: not in the inbox: %w", id, deadletter.ErrNotReplayable)
	case err != nil:
		return fmt.Errorf("replay webhook %d: %w", id, err)
	case state == "processed":
		return fmt.Errorf("webhook %d was processed: %w", id, deadletter.ErrNotReplayable)
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_inbox SET state = 'pending', reason = NULL WHERE id = ? AND state = 'dead'`, id); err != nil {
		return fmt.Errorf("replay webhook %d: %w", id, err)
	}
	return nil
}
