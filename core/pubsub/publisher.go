package pubsub

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/store"
)

// PublishTx stores msgs on topic inside tx, the caller's write transaction:
// the messages are published if and only if tx commits (a transactional
// outbox). The topic's subscribers in this process are woken after the
// commit. Each message keeps its UUID, metadata and payload; messages
// published in one transaction are delivered in the order given. Metadata that
// is not valid UTF-8 is refused with a *MetadataError.
//
// Use it to record an event and enqueue its processing atomically:
//
//	err := db.Write(ctx, func(tx *store.Tx) error {
//		if err := saveEvent(ctx, tx, ev); err != nil {
//			return err
//		}
//		return pubsub.PublishTx(tx, "events.accepted", msg)
//	})
func PublishTx(tx *store.Tx, topic string, msgs ...*message.Message) error {
	if topic == "" {
		return ErrEmptyTopic
	}
	if len(msgs) == 0 {
		return nil
	}
	// Statements of a store transaction must not be interrupted (see
	// store.Tx.Exec), so the messages' contexts are not used.
	if err := insertMessages(context.Background(), tx, topic, msgs); err != nil {
		return fmt.Errorf("pubsub: publish to %q: %w", topic, err)
	}
	bell := doorbellFor(tx.DB())
	tx.AfterCommit(func() { bell.ring(topic) })
	return nil
}

// Publisher publishes messages to the store; it implements
// message.Publisher. It is safe for concurrent use, and concurrent Publish
// calls share a transaction (see store.DB.Write).
type Publisher struct {
	db     *store.DB
	closed atomic.Bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher writing to db. Of cfg, only Logger
// applies (see Config).
func NewPublisher(db *store.DB, cfg Config) (*Publisher, error) {
	if db == nil {
		return nil, errors.New("pubsub: NewPublisher: nil *store.DB")
	}
	if err := cfg.withDefaults().validate(); err != nil {
		return nil, err
	}
	return &Publisher{db: db}, nil
}

// Publish stores msgs on topic in one transaction and returns once it has
// committed: either all of msgs are published or none is. It is synchronous
// and ignores the messages' contexts. It fails with ErrClosed after Close.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return p.db.Write(context.Background(), func(tx *store.Tx) error {
		return PublishTx(tx, topic, msgs...)
	})
}

// Close makes later Publish calls fail; Publish calls in progress complete.
// Publish is synchronous, so there is nothing to flush. The store.DB stays
// open: its owner closes it.
func (p *Publisher) Close() error {
	p.closed.Store(true)
	return nil
}
