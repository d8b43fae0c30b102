package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
)

// MaxKeyLength bounds the Idempotency-Key header.
const MaxKeyLength = 255

// Result is the answer to an accepted event. A replayed result is the
// stored answer to the first request with the same idempotency key.
type Result struct {
	Code     int             // HTTP status of the first answer
	Body     json.RawMessage // its body
	Replayed bool
}

// Accepted is the body of a 202.
type Accepted struct {
	EventID        string `json:"event_id"`
	Status         string `json:"status"`
	IdempotencyKey string `json:"idempotency_key"`
}

// Events stores events. It is safe for concurrent use.
type Events struct {
	db    *store.DB
	topic string
	now   func() time.Time
}

// New returns Events that enqueue stored events on topic.
func New(db *store.DB, topic string) *Events {
	return &Events{db: db, topic: topic, now: time.Now}
}

// Accept validates raw as a canonical event and stores it with its
// idempotency key (key if not empty, else source:id), enqueued in the same
// transaction. It returns after the commit. A *event.FieldError means the
// input was refused; it has been kept in the rejects table with the reason.
func (e *Events) Accept(ctx context.Context, raw []byte, key string) (*Result, error) {
	d, err := e.Decode(raw, key)
	if err != nil {
		if rerr := Reject(ctx, e.db, "event", raw, err.Error(), e.now()); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	var res *Result
	err = e.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		res, err = e.StoreTx(ctx, tx, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Decoded is an event that passed validation, ready for StoreTx.
type Decoded struct {
	Event *event.Event
	// Key is the idempotency key: the one given, else source:id.
	Key string

	raw        []byte
	receivedAt time.Time
}

// Decode validates raw as a canonical event with idempotency key key (""
// means source:id), without storing anything. The error is a
// *event.FieldError naming the refused field; Accept keeps such input in the
// rejects table, a caller of Decode records it its own way.
func (e *Events) Decode(raw []byte, key string) (*Decoded, error) {
	now := e.now()
	ev, err := event.Decode(raw, now)
	if err == nil && len(key) > MaxKeyLength {
		err = &event.FieldError{Field: "Idempotency-Key", Value: key[:32] + "...", Msg: fmt.Sprintf("longer than %d bytes", MaxKeyLength)}
	}
	if err != nil {
		return nil, err
	}
	if key == "" {
		key = ev.Source + ":" + ev.ID
	}
	return &Decoded{Event: ev, Key: key, raw: raw, receivedAt: now}, nil
}

// StoreTx stores a decoded event and enqueues it inside the caller's
// transaction, so that a connector's webhook and its events commit together.
// A repeat of the idempotency key stores nothing and returns the first answer
// with Replayed set.
func (e *Events) StoreTx(ctx context.Context, tx *store.Tx, d *Decoded) (*Result, error) {
	ev, key := d.Event, d.Key
	id := "evt_" + strings.ToLower(ulid.Make().String())
	body, err := json.Marshal(Accepted{EventID: id, Status: "accepted", IdempotencyKey: key})
	if err != nil {
		return nil, err
	}
	res := &Result{Code: 202, Body: body}
	r, err := tx.Exec(ctx, `INSERT INTO events(id, idem_key, type, source, source_id, occurred_at, received_at, body, response_code, response)
		VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(idem_key) DO NOTHING`,
		id, key, ev.Type, ev.Source, ev.ID, ev.OccurredAt.UnixMilli(), d.receivedAt.UnixMilli(), d.raw, res.Code, body)
	if err != nil {
		return nil, fmt.Errorf("store event: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		res.Replayed = true
		if err := tx.QueryRow(ctx, `SELECT response_code, response FROM events WHERE idem_key = ?`, key).Scan(&res.Code, &res.Body); err != nil {
			return nil, fmt.Errorf("store event: %w", err)
		}
		return res, nil
	}
	if err := pubsub.PublishTx(tx, e.topic, message.NewMessage(watermill.NewUUID(), []byte(id))); err != nil {
		return nil, err
	}
	return res, nil
}

// Reject keeps refused input (kind "event" or "webhook") raw in the rejects
// table with the reason, so that nothing sent to Parley is lost.
func Reject(ctx context.Context, db *store.DB, kind string, raw []byte, reason string, at time.Time) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO rejects(kind, received_at, reason, body) VALUES (?,?,?,?)`, kind, at.UnixMilli(), reason, raw)
		return err
	})
}

// Get returns the stored event by Parley's id.
func (e *Events) Get(ctx context.Context, id string) (json.RawMessage, error) {
	var body []byte
	err := e.db.ReadRow(ctx, `SELECT body FROM events WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %q: not found", id)
	}
	return body, err
}
