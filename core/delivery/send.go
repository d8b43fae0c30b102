package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Client sends one message through the Cloud API. Implementations must be
// safe for concurrent use; errors from the platform are *whatsapp.APIError.
type Client interface {
	Send(ctx context.Context, req *whatsapp.SendRequest) (*whatsapp.SendResponse, error)
}

// Sender is the send stage: it takes a message id from the outbox topic,
// sends the stored request through the Cloud API and records the outcome.
// It is idempotent: a message already submitted is not sent again.
type Sender struct {
	store  *Store
	client Client
	log    *slog.Logger
	guard  Guard // nil: no pacing
}

// NewSender returns the send stage.
func NewSender(s *Store, c Client, log *slog.Logger) *Sender {
	return &Sender{store: s, client: c, log: log}
}

// Handle is the Watermill handler of the outbox topic. The payload is the
// message id. It returns an error to retry (transport errors, throttling,
// transient platform errors), a deadletter.Permanent error when the message
// cannot exist, and nil once the outcome is recorded, which includes
// permanent platform failures: those mark the message failed.
func (s *Sender) Handle(msg *message.Message) error {
	ctx := msg.Context()
	id := string(msg.Payload)
	var status, wamid string
	var body []byte
	err := s.store.db.ReadRow(ctx, `SELECT status, COALESCE(wamid,''), request FROM messages WHERE id = ?`, id).Scan(&status, &wamid, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return deadletter.Permanent(fmt.Errorf("send %s: %w", id, ErrNotFound))
	}
	if err != nil {
		return fmt.Errorf("send %s: load: %w", id, err)
	}
	if status != StateAccepted || wamid != "" {
		return nil // already submitted (a redelivery): never send twice
	}
	var req whatsapp.SendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return deadletter.Permanent(fmt.Errorf("send %s: stored request: %w", id, err))
	}
	if s.guard != nil {
		if err := s.guard.Wait(ctx, id, &req); err != nil {
			return fmt.Errorf("send %s: pace: %w", id, err)
		}
	}
	// Once a send starts it runs to the end, shutdown or not: a request
	// the platform accepted must have its wamid recorded, or a restart
	// would send the message again. The client's timeout bounds it, and
	// the router waits for the handlers in flight when it closes. A send
	// not started yet when shutdown begins is left for the next run.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send %s: not started: %w", id, err)
	}
	ctx = context.WithoutCancel(ctx)
	resp, err := s.client.Send(ctx, &req)
	if err != nil {
		if s.guard != nil {
			if taken, gerr := s.guard.Failed(ctx, id, &req, err); gerr != nil || taken {
				return gerr
			}
		}
		return s.failed(ctx, id, err)
	}
	if s.guard != nil {
		s.guard.Sent(id, &req)
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return fmt.Errorf("send %s: response carries no message id", id)
	}
	waID := ""
	if len(resp.Contacts) > 0 {
		waID = resp.Contacts[0].WaID
	}
	// The platform accepted the message: retrying the handler would send
	// it again, so on a store error (a full disk, say) retry the record of
	// its wamid only.
	wait := 100 * time.Millisecond
	for deadline := time.Now().Add(20 * time.Second); ; {
		err := s.store.RecordSubmitted(ctx, id, resp.Messages[0].ID, waID)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		s.log.Error("recording a sent message failed; retrying the record, not the send", "message_id", id, "wamid", resp.Messages[0].ID, "error", err)
		time.Sleep(wait)
		wait = min(2*wait, 2*time.Second)
	}
}

// failed records a failed attempt. Permanent platform errors mark the
// message failed and end it (nil); anything else is returned for a retry.
func (s *Sender) failed(ctx context.Context, id string, err error) error {
	e := Error{Title: "send failed", Detail: err.Error()}
	var apiErr *whatsapp.APIError
	if errors.As(err, &apiErr) {
		e = Error{Code: apiErr.Graph.Code, Title: apiErr.Graph.Message}
		if apiErr.Graph.ErrorData != nil {
			e.Detail = apiErr.Graph.ErrorData.Details
		}
	}
	switch whatsapp.ClassOf(err) {
	case whatsapp.ClassPermanent, whatsapp.ClassNeedsTemplate:
		if ferr := s.store.Fail(ctx, id, e); ferr != nil {
			return ferr
		}
		s.log.Warn("message failed", "message_id", id, "code", e.Code, "error", e.Title)
		return nil
	default:
		_ = s.store.RecordAttempt(ctx, id, e)
		return fmt.Errorf("send %s: %w", id, err)
	}
}

// RecordSubmitted stores the wamid the platform gave a message and applies
// any status that arrived for that wamid before this call.
func (s *Store) RecordSubmitted(ctx context.Context, id, wamid, waID string) error {
	now := s.now().UnixMilli()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		var wa any
		if waID != "" {
			wa = waID
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET wamid = ?, wa_id = ?, submitted_at = ?, attempts = attempts + 1, updated_at = ?,
			error_code = NULL, error_title = NULL, error_detail = NULL WHERE id = ? AND wamid IS NULL`, wamid, wa, now, now, id); err != nil {
			return fmt.Errorf("record submitted %s: %w", id, err)
		}
		return s.adoptOrphansTx(ctx, tx, wamid)
	})
}

// RecordAttempt counts a failed attempt that will be retried, keeping its error.
func (s *Store) RecordAttempt(ctx context.Context, id string, e Error) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE messages SET attempts = attempts + 1, error_code = ?, error_title = ?, error_detail = ?, updated_at = ? WHERE id = ?`,
			e.Code, e.Title, e.Detail, s.now().UnixMilli(), id)
		return err
	})
}

// Fail marks a message failed with its error.
func (s *Store) Fail(ctx context.Context, id string, e Error) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.FailTx(ctx, tx, id, e) })
}

// FailTx marks a message failed inside tx. A message the platform already
// reported delivered or read is not moved back.
func (s *Store) FailTx(ctx context.Context, tx *store.Tx, id string, e Error) error {
	now := s.now().UnixMilli()
	detail, _ := json.Marshal(e)
	res, err := tx.Exec(ctx, `UPDATE messages SET status = ?, attempts = attempts + 1, error_code = ?, error_title = ?, error_detail = ?, updated_at = ?
		WHERE id = ? AND status IN (?, ?)`, StateFailed, e.Code, e.Title, e.Detail, now, id, StateAccepted, StateSent)
	if err != nil {
		return fmt.Errorf("fail message %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT OR IGNORE INTO message_statuses(message_id, status, source, at, recorded_at, detail) VALUES (?,?,?,?,?,?)`,
		id, StateFailed, "parley", now, now, string(detail))
	return err
}

// DeadLetterHook marks a message failed when its send is dead-lettered
// (retries exhausted, or a permanent error), with the reason, in the same
// transaction as the dead letter.
func (s *Store) DeadLetterHook(ctx context.Context, tx *store.Tx, msg *message.Message, reason string) error {
	return s.FailTx(ctx, tx, string(msg.Payload), Error{Title: "dead-lettered", Detail: reason})
}
