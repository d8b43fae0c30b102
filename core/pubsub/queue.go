package pubsub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
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

// claim leases up to n messages to the caller until the given time, in id
// order: first the group's messages whose lease has expired or was released
// (they are older than any unclaimed one), then messages the group has not
// claimed yet.
func (q queue) claim(ctx context.Context, tx *store.Tx, n int, now, until int64) ([]stored, error) {
	batch, err := scanStored(tx.Query(ctx, `
		SELECT l.message_id, m.uuid, m.metadata, m.payload
		FROM pubsub_leases AS l JOIN pubsub_messages AS m ON m.id = l.message_id
		WHERE l.topic = ? AND l.consumer_group = ? AND l.leased_until <= ?
		ORDER BY l.message_id
		LIMIT ?`,
		q.topic, q.group, now, n))
	if err != nil {
		return nil, err
	}
	if len(batch) > 0 {
		if _, err := tx.Exec(ctx, `
			UPDATE pubsub_leases SET leased_until = ?, claims = claims + 1
			WHERE topic = ? AND consumer_group = ? AND message_id IN (SELECT value FROM json_each(?))`,
			until, q.topic, q.group, idList(idsOf(batch))); err != nil {
			return nil, err
		}
	}
	if len(batch) == n {
		return batch, nil
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
	fresh, err := scanStored(tx.Query(ctx, `
		SELECT id, uuid, metadata, payload FROM pubsub_messages
		WHERE topic = ? AND id > ?
		ORDER BY id
		LIMIT ?`,
		q.topic, through, n-len(batch)))
	if err != nil || len(fresh) == 0 {
		return batch, err
	}
	last := fresh[len(fresh)-1].id
	if _, err := tx.Exec(ctx, `
		INSERT INTO pubsub_leases (topic, consumer_group, message_id, leased_until)
		SELECT topic, ?, id, ? FROM pubsub_messages
		WHERE topic = ? AND id > ? AND id <= ?`,
		q.group, until, q.topic, through, last); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE pubsub_subscriptions SET claimed_through = ? WHERE topic = ? AND consumer_group = ?`,
		last, q.topic, q.group); err != nil {
		return nil, err
	}
	return append(batch, fresh...), nil
}

// ack marks messages as done for the group by deleting their leases.
func (q queue) ack(ctx context.Context, tx *store.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		DELETE FROM pubsub_leases
		WHERE topic = ? AND consumer_group = ? AND message_id IN (SELECT value FROM json_each(?))`,
		q.topic, q.group, idList(ids))
	return err
}

// extend moves the leases the caller holds (those still leased until from)
// to until. A lease that expired and was claimed by another subscriber in
// the meantime is left alone.
func (q queue) extend(ctx context.Context, tx *store.Tx, ids []int64, from, until int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE pubsub_leases SET leased_until = ?
		WHERE topic = ? AND consumer_group = ? AND leased_until = ?
		AND message_id IN (SELECT value FROM json_each(?))`,
		until, q.topic, q.group, from, idList(ids))
	return err
}

// release makes the caller's leases (see extend) claimable at once.
func (q queue) release(ctx context.Context, tx *store.Tx, ids []int64, from int64) error {
	return q.extend(ctx, tx, ids, from, 0)
}

// purge deletes the messages of topic that every group registered for it
// has acked: those at or below every group's cursor that nobody leases.
func purge(ctx context.Context, tx *store.Tx, topic string) error {
	_, err := tx.Exec(ctx, `
		DELETE FROM pubsub_messages
		WHERE topic = ?1
		AND id <= (SELECT min(claimed_through) FROM pubsub_subscriptions WHERE topic = ?1)
		AND NOT EXISTS (SELECT 1 FROM pubsub_leases AS l WHERE l.message_id = pubsub_messages.id)`,
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

// idList renders ids as a JSON array, for json_each.
func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// idsOf returns the ids of batch.
func idsOf(batch []stored) []int64 {
	ids := make([]int64, len(batch))
	for i, m := range batch {
		ids[i] = m.id
	}
	return ids
}
