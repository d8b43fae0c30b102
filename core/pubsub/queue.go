package pubsub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/store"
)

// This file holds every SQL statement of the package. The tables are created
// by core/store/migrations/0001_pubsub.sql, which explains the model: a
// message is stored once per topic; each consumer group has a cursor
// (pubsub_subscriptions.claimed_through) and a lease row per message it has
// claimed and not yet acked (pubsub_leases). Times are Unix milliseconds.

// stored is a message as read back from pubsub_messages.
type stored struct {
	id       int64
	uuid     string
	metadata string // JSON object
	payload  []byte
}

// insertMessages stores msgs on topic, in order.
func insertMessages(ctx context.Context, tx *store.Tx, topic string, msgs []*message.Message) error {
	const insert = `INSERT INTO pubsub_messages (topic, uuid, metadata, payload, created_at) VALUES (?, ?, ?, ?, ?)`
	now := time.Now().UnixMilli()
	exec := func(query string, args ...any) (sql.Result, error) { return tx.Exec(ctx, query, args...) }
	if len(msgs) > 1 {
		// The statement is prepared once for the batch. ctx is never
		// cancelled here: see store.Tx.Raw.
		stmt, err := tx.Raw().PrepareContext(ctx, insert)
		if err != nil {
			return err
		}
		defer stmt.Close()
		exec = func(_ string, args ...any) (sql.Result, error) { return stmt.ExecContext(ctx, args...) }
	}
	for _, msg := range msgs {
		metadata, err := encodeMetadata(msg)
		if err != nil {
			return err
		}
		payload := []byte(msg.Payload)
		if payload == nil {
			payload = []byte{} // the column is NOT NULL
		}
		if _, err := exec(insert, topic, msg.UUID, metadata, payload, now); err != nil {
			return err
		}
	}
	return nil
}

// encodeMetadata returns msg.Metadata as a JSON object. JSON cannot carry
// invalid UTF-8 unchanged, so such metadata is refused.
func encodeMetadata(msg *message.Message) (string, error) {
	if len(msg.Metadata) == 0 {
		return "{}", nil
	}
	for k, v := range msg.Metadata {
		if !utf8.ValidString(k) {
			return "", &MetadataError{MessageUUID: msg.UUID, Key: k, Reason: "key is not valid UTF-8"}
		}
		if !utf8.ValidString(v) {
			return "", &MetadataError{MessageUUID: msg.UUID, Key: k, Reason: "value is not valid UTF-8"}
		}
	}
	b, err := json.Marshal(map[string]string(msg.Metadata))
	return string(b), err
}

// queue is one consumer group's view of one topic. Its methods run inside a
// store transaction.
type queue struct {
	topic string
	group string
}

// lease is a batch of messages claimed by one subscriber: one row of
// pubsub_leases. The subscriber hands the messages out in order, so the acked
// ones are always a prefix of msgs.
type lease struct {
	id      int64    // pubsub_leases.id
	until   int64    // leased_until as last written by us; guards every update
	msgs    []stored // the batch, in id order
	acked   int      // msgs[:acked] have been acked by the handler
	settled int      // msgs[:settled] are acked in the store too
}

// register records that q's group consumes q's topic, if it did not already.
// From then on the topic's messages are kept until the group acks them. A new
// group starts at the oldest message still stored.
func (q queue) register(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO pubsub_subscriptions (topic, consumer_group, claimed_through, created_at)
		VALUES (?, ?, 0, ?)
		ON CONFLICT DO NOTHING`,
		q.topic, q.group, time.Now().UnixMilli())
	return err
}

// claim leases a batch to the caller until the given time, or returns nil if
// there is nothing to claim. The oldest batch of the group whose lease has
// expired or was released comes first, whole, as its messages are older than
// any unclaimed one; otherwise up to n messages the group has not claimed yet.
func (q queue) claim(ctx context.Context, tx *store.Tx, n int, now, until int64) (*lease, error) {
	var l lease
	var first, last int64
	err := tx.QueryRow(ctx, `
		SELECT id, first_id, last_id FROM pubsub_leases
		WHERE topic = ? AND consumer_group = ? AND leased_until <= ?
		ORDER BY first_id
		LIMIT 1`,
		q.topic, q.group, now).Scan(&l.id, &first, &last)
	switch {
	case err == nil:
		if _, err := tx.Exec(ctx, `UPDATE pubsub_leases SET leased_until = ?, claims = claims + 1 WHERE id = ?`,
			until, l.id); err != nil {
			return nil, err
		}
		l.msgs, err = scanStored(tx.Query(ctx, `
			SELECT id, uuid, metadata, payload FROM pubsub_messages
			WHERE topic = ? AND id BETWEEN ? AND ?
			ORDER BY id`,
			q.topic, first, last))
		if err != nil {
			return nil, err
		}
		l.until = until
		return &l, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}

	var through int64
	err = tx.QueryRow(ctx, `SELECT claimed_through FROM pubsub_subscriptions WHERE topic = ? AND consumer_group = ?`,
		q.topic, q.group).Scan(&through)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.register(ctx, tx) // deleted by hand since Subscribe: start over
	}
	if err != nil {
		return nil, err
	}
	l.msgs, err = scanStored(tx.Query(ctx, `
		SELECT id, uuid, metadata, payload FROM pubsub_messages
		WHERE topic = ? AND id > ?
		ORDER BY id
		LIMIT ?`,
		q.topic, through, n))
	if err != nil || len(l.msgs) == 0 {
		return nil, err
	}
	first, last = l.msgs[0].id, l.msgs[len(l.msgs)-1].id
	res, err := tx.Exec(ctx, `
		INSERT INTO pubsub_leases (topic, consumer_group, first_id, last_id, leased_until)
		VALUES (?, ?, ?, ?, ?)`,
		q.topic, q.group, first, last, until)
	if err != nil {
		return nil, err
	}
	if l.id, err = res.LastInsertId(); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE pubsub_subscriptions SET claimed_through = ? WHERE topic = ? AND consumer_group = ?`,
		last, q.topic, q.group); err != nil {
		return nil, err
	}
	l.until = until
	return &l, nil
}

// settle writes l's progress: it deletes the lease once every message is
// acked, and otherwise moves its start past the acked messages and its
// expiry to until (0 releases the rest for any subscriber to claim at once).
// It then deletes the newly acked messages that every group is done with. A
// lease that expired and was claimed by another subscriber in the meantime
// is left alone: its messages are then delivered twice, as at-least-once
// delivery allows, and the new holder settles them.
func (q queue) settle(ctx context.Context, tx *store.Tx, l *lease, until int64) error {
	var res sql.Result
	var err error
	if l.acked == len(l.msgs) {
		res, err = tx.Exec(ctx, `DELETE FROM pubsub_leases WHERE id = ? AND leased_until = ?`, l.id, l.until)
	} else {
		res, err = tx.Exec(ctx, `UPDATE pubsub_leases SET first_id = ?, leased_until = ? WHERE id = ? AND leased_until = ?`,
			l.msgs[l.acked].id, until, l.id, l.until)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 || l.settled == l.acked {
		return err
	}
	return purge(ctx, tx, q.topic, l.msgs[l.settled].id, l.msgs[l.acked-1].id)
}

// purge deletes the messages of topic with ids from first to last that
// every group registered for the topic has acked: those at or below every
// group's cursor that no lease covers. Whichever group acks a message last
// deletes it.
func purge(ctx context.Context, tx *store.Tx, topic string, first, last int64) error {
	_, err := tx.Exec(ctx, `
		DELETE FROM pubsub_messages
		WHERE topic = ?1 AND id BETWEEN ?2 AND ?3
		AND id <= (SELECT min(claimed_through) FROM pubsub_subscriptions WHERE topic = ?1)
		AND NOT EXISTS (
			SELECT 1 FROM pubsub_leases AS l
			WHERE l.topic = ?1 AND pubsub_messages.id BETWEEN l.first_id AND l.last_id
		)`,
		topic, first, last)
	return err
}

// sweep deletes every message of topic that all groups are done with: below
// every group's cursor and below the oldest lease. It catches what purge
// could not, such as the messages a group pinned before its subscription row
// was deleted by hand; it runs when a subscription starts.
func sweep(ctx context.Context, tx *store.Tx, topic string) error {
	_, err := tx.Exec(ctx, `
		DELETE FROM pubsub_messages
		WHERE topic = ?1
		AND id <= (SELECT min(claimed_through) FROM pubsub_subscriptions WHERE topic = ?1)
		AND id < coalesce((SELECT min(first_id) FROM pubsub_leases WHERE topic = ?1), 9223372036854775807)`,
		topic)
	return err
}

// scanStored reads rows of (id, uuid, metadata, payload).
func scanStored(rows *sql.Rows, err error) ([]stored, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var m stored
		if err := rows.Scan(&m.id, &m.uuid, &m.metadata, &m.payload); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ReleaseLeases hands back every lease, so that the batches a crashed
// process had claimed are redelivered at once rather than after their
// LeaseTimeout. Call it only at start-up, before any subscriber runs: the
// store's exclusive file lock guarantees no other process holds a lease
// that is still being worked on. It returns how many leases it released.
func ReleaseLeases(ctx context.Context, db *store.DB) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE pubsub_leases SET leased_until = 0 WHERE leased_until > 0`)
		if err != nil {
			return fmt.Errorf("pubsub: release leases: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
