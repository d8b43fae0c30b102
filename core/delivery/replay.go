package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/store"
)

// ReplayHook is the outbox topic's deadletter.ReplayHook. It puts a message
// whose send was dead-lettered back to accepted, its error cleared, so that
// the send stage sends it when the replay arrives. Only a failed message the
// platform never accepted (it has no wamid) is reset; any other is refused
// with deadletter.ErrNotReplayable, so that a replay never sends a message
// a second time. The failed entry Parley wrote in the message's history is
// removed; the dead letter keeps the reason.
func (s *Store) ReplayHook(ctx context.Context, tx *store.Tx, l *deadletter.Letter) error {
	id := l.Payload
	var status, wamid string
	err := tx.QueryRow(ctx, `SELECT status, COALESCE(wamid,'') FROM messages WHERE id = ?`, id).Scan(&status, &wamid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("message %q: %w: %w", id, ErrNotFound, deadletter.ErrNotReplayable)
	case err != nil:
		return fmt.Errorf("replay message %s: %w", id, err)
	case wamid != "":
		return fmt.Errorf("message %s was accepted by the platform (wamid %s) and is not sent again: %w", id, wamid, deadletter.ErrNotReplayable)
	case status != StateFailed:
		return fmt.Errorf("message %s is %s, not failed: %w", id, status, deadletter.ErrNotReplayable)
	}
	if _, err := tx.Exec(ctx, `UPDATE messages SET status = ?, error_code = NULL, error_title = NULL, error_detail = NULL, updated_at = ?
		WHERE id = ? AND status = ? AND wamid IS NULL`, StateAccepted, s.now().UnixMilli(), id, StateFailed); err != nil {
		return fmt.Errorf("replay message %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM message_statuses WHERE message_id = ? AND status = ? AND source = 'parley'`, id, StateFailed); err != nil {
		return fmt.Errorf("replay message %s: %w", id, err)
	}
	return nil
}
