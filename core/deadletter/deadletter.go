package deadletter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/parley-hub/parley/core/store"
)

// PermanentError marks a handler error that retrying cannot fix (malformed
// input, a missing template, a number that is not on WhatsApp). The pipeline
// sends such a message straight to the dead-letter table.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Hook runs inside the transaction that stores a dead letter from one topic,
// so that the owner of that topic can record the outcome on its own rows
// (for example mark the message failed) atomically with the dead letter.
type Hook func(ctx context.Context, tx *store.Tx, msg *message.Message, reason string) error

// Sink is a message.Publisher that writes every published message into the
// dead_letters table. It is the publisher behind Watermill's PoisonQueue
// middleware, which sets the reason, topic and handler in the metadata.
// Publish returns only after the rows are committed. It is safe for
// concurrent use.
type Sink struct {
	db    *store.DB
	hooks map[string]Hook
	now   func() time.Time
}

// NewSink returns a Sink writing into db. hooks, keyed by the poisoned
// message's original topic, may be nil.
func NewSink(db *store.DB, hooks map[string]Hook) *Sink {
	return &Sink{db: db, hooks: hooks, now: time.Now}
}

// Publish stores msgs as dead letters. The topic argument is the poison
// topic and is not stored; the original topic comes from the metadata.
func (s *Sink) Publish(_ string, msgs ...*message.Message) error {
	ctx := context.Background()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		for _, m := range msgs {
			topic := m.Metadata.Get(middleware.PoisonedTopicKey)
			reason := m.Metadata.Get(middleware.ReasonForPoisonedKey)
			meta, err := json.Marshal(m.Metadata)
			if err != nil {
				return fmt.Errorf("dead letter %s: metadata: %w", m.UUID, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO dead_letters(uuid, topic, handler, reason, payload, metadata, created_at) VALUES (?,?,?,?,?,?,?)`,
				m.UUID, topic, m.Metadata.Get(middleware.PoisonedHandlerKey), reason, []byte(m.Payload), string(meta), s.now().UnixMilli()); err != nil {
				return fmt.Errorf("dead letter %s: %w", m.UUID, err)
			}
			if h := s.hooks[topic]; h != nil {
				if err := h(ctx, tx, m, reason); err != nil {
					return fmt.Errorf("dead letter %s: hook for %s: %w", m.UUID, topic, err)
				}
			}
		}
		return nil
	})
}

// Close does nothing; the database belongs to its opener.
func (s *Sink) Close() error { return nil }

// Letter is one stored dead letter.
type Letter struct {
	ID         int64             `json:"id"`
	UUID       string            `json:"uuid"`
	Topic      string            `json:"topic"`
	Handler    string            `json:"handler"`
	Reason     string            `json:"reason"`
	Payload    string            `json:"payload"`
	Metadata   map[string]string `json:"metadata"`
	CreatedAt  time.Time         `json:"created_at"`
	ReplayedAt *time.Time        `json:"replayed_at,omitempty"`
}

// List returns dead letters, newest first, at most limit of them.
func List(ctx context.Context, r *sql.DB, limit int) ([]Letter, error) {
	rows, err := r.QueryContext(ctx, `SELECT id, uuid, topic, handler, reason, payload, metadata, created_at, replayed_at FROM dead_letters ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	var out []Letter
	for rows.Next() {
		var l Letter
		var payload []byte
		var meta string
		var created int64
		var replayed sql.NullInt64
		if err := rows.Scan(&l.ID, &l.UUID, &l.Topic, &l.Handler, &l.Reason, &payload, &meta, &created, &replayed); err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		l.Payload = string(payload)
		_ = json.Unmarshal([]byte(meta), &l.Metadata)
		l.CreatedAt = time.UnixMilli(created).UTC()
		if replayed.Valid {
			t := time.UnixMilli(replayed.Int64).UTC()
			l.ReplayedAt = &t
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
