package policy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
)

// DeferredConfig configures Deferred.
type DeferredConfig struct {
	// GateTopic is where due messages go back to be decided again.
	GateTopic string
	// Interval is how often due messages are looked for; default 500ms.
	Interval time.Duration
	// Batch is the most messages released per transaction; default 1000.
	Batch int
	Now   func() time.Time
	Log   *slog.Logger
}

// Deferred brings deferred messages back to the gate when their time
// comes. The deferral lives in the database (gate_messages.deferred_until),
// so a restart loses none: the first run after a start releases everything
// that fell due meanwhile. Run it once per process.
type Deferred struct {
	db  *store.DB
	cfg DeferredConfig
}

// NewDeferred returns the deferred-message timer.
func NewDeferred(db *store.DB, cfg DeferredConfig) *Deferred {
	if cfg.Interval <= 0 {
		cfg.Interval = 500 * time.Millisecond
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Deferred{db: db, cfg: cfg}
}

// Run releases due messages every Interval until ctx is done.
func (d *Deferred) Run(ctx context.Context) error {
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	for {
		for {
			n, err := d.Release(ctx)
			if err != nil && ctx.Err() == nil {
				d.cfg.Log.Warn("release deferred messages", "error", err)
			}
			if n < d.cfg.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Release publishes the messages whose deferral has passed back onto the
// gate topic, clearing their deferral in the same transaction, and returns
// how many.
func (d *Deferred) Release(ctx context.Context) (int, error) {
	now := d.cfg.Now().UnixMilli()
	n := 0
	err := d.db.Write(ctx, func(tx *store.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT message_id FROM gate_messages WHERE deferred_until <= ? ORDER BY deferred_until LIMIT ?`, now, d.cfg.Batch)
		if err != nil {
			return fmt.Errorf("due messages: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return nil
		}
		msgs := make([]*message.Message, len(ids))
		for i, id := range ids {
			if _, err := tx.Exec(ctx, `UPDATE gate_messages SET deferred_until = NULL WHERE message_id = ?`, id); err != nil {
				return err
			}
			msgs[i] = message.NewMessage(watermill.NewUUID(), []byte(id))
		}
		n = len(ids)
		return pubsub.PublishTx(tx, d.cfg.GateTopic, msgs...)
	})
	return n, err
}
