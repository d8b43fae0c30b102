package delivery

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// StateBlocked is the state of a message the policy gate decided not to
// send (blocked, or replaced by a fallback action); the decision says why.
const StateBlocked = "blocked"

// Guard is the send stage's side of the policy gate; it is optional (see
// Sender.WithGuard). Its methods are called concurrently.
type Guard interface {
	// Wait blocks until the message may be sent at the business number's
	// pace, or ctx is done (an error: the message is retried).
	Wait(ctx context.Context, id string, req *whatsapp.SendRequest) error
	// Failed sees a failed send before the stage records it. It returns
	// true when it has taken the message over (deferred it durably, e.g.
	// after a 131056): the stage then acks the message and records nothing.
	// An error is returned for a retry.
	Failed(ctx context.Context, id string, req *whatsapp.SendRequest, err error) (bool, error)
	// Sent sees a message the platform accepted.
	Sent(id string, req *whatsapp.SendRequest)
}

// WithGuard makes the send stage pace its sends and report their outcomes
// to g, and returns s.
func (s *Sender) WithGuard(g Guard) *Sender {
	s.guard = g
	return s
}

// BlockTx marks an accepted message blocked inside tx, with the gate's
// reason as its error; a message past accepted is left as it is.
func (s *Store) BlockTx(ctx context.Context, tx *store.Tx, id, reason, detail string) error {
	now := s.now().UnixMilli()
	res, err := tx.Exec(ctx, `UPDATE messages SET status = ?, error_title = ?, error_detail = ?, updated_at = ? WHERE id = ? AND status = ?`,
		StateBlocked, reason, detail, now, id, StateAccepted)
	if err != nil {
		return fmt.Errorf("block message %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	d, _ := json.Marshal(Error{Title: reason, Detail: detail})
	_, err = tx.Exec(ctx, `INSERT OR IGNORE INTO message_statuses(message_id, status, source, at, recorded_at, detail) VALUES (?,?,?,?,?,?)`,
		id, StateBlocked, "parley", now, now, string(d))
	return err
}

// ReplaceRequestTx replaces the request of an accepted message inside tx
// (the gate turning free text into a template for a closed window).
func (s *Store) ReplaceRequestTx(ctx context.Context, tx *store.Tx, id string, req *whatsapp.SendRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("replace request of %s: %w", id, err)
	}
	kind := req.Type
	if kind == "" {
		kind = "text"
	}
	_, err = tx.Exec(ctx, `UPDATE messages SET request = ?, kind = ?, updated_at = ? WHERE id = ? AND status = ?`,
		body, kind, s.now().UnixMilli(), id, StateAccepted)
	if err != nil {
		return fmt.Errorf("replace request of %s: %w", id, err)
	}
	return nil
}
