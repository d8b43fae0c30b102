package window

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/store"
)

// Emitter stores an event Parley produces, inside the caller's transaction,
// enqueued for flows (ingest.Events implements it). Emitting the same
// source and id twice must store it once.
type Emitter interface {
	EmitTx(ctx context.Context, tx *store.Tx, ev *event.Event) (string, error)
}

// ExpiringConfig configures Expiring.
type ExpiringConfig struct {
	// Before is how long before a window closes the event fires; 0 turns
	// Expiring off.
	Before time.Duration
	// Interval is how often due windows are looked for; default 1s.
	Interval time.Duration
	// Batch is the most windows handled per transaction; default 500.
	Batch int
	// Now is the clock; default time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Expiring emits window.expiring events. Run it once per process.
type Expiring struct {
	db     *store.DB
	events Emitter
	cfg    ExpiringConfig
}

// NewExpiring returns the window.expiring timer.
func NewExpiring(db *store.DB, events Emitter, cfg ExpiringConfig) *Expiring {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Expiring{db: db, events: events, cfg: cfg}
}

// Run fires due windows every Interval until ctx is done.
func (e *Expiring) Run(ctx context.Context) error {
	if e.cfg.Before <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := e.Fire(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Log.Warn("window.expiring", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Fire emits window.expiring for every open window that closes within
// Before and has not had its event for this closing time, in one
// transaction; it returns how many it emitted. The event's id is the
// contact and the closing time, so a window renewed and expiring again
// fires again, and a crash between runs never fires twice.
func (e *Expiring) Fire(ctx context.Context) (int, error) {
	now := e.cfg.Now()
	n := 0
	err := e.db.Write(ctx, func(tx *store.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT contact_id, closes_at FROM windows
			WHERE closes_at > ? AND closes_at <= ? AND (expiring_for IS NULL OR expiring_for <> closes_at) LIMIT ?`,
			now.UnixMilli(), now.Add(e.cfg.Before).UnixMilli(), e.cfg.Batch)
		if err != nil {
			return fmt.Errorf("due windows: %w", err)
		}
		type due struct {
			contact string
			closes  int64
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.contact, &d.closes); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		for _, d := range list {
			c, err := contacts.Get(ctx, contacts.InTx(tx), d.contact)
			if err != nil {
				return err
			}
			closes := time.UnixMilli(d.closes).UTC()
			ev := &event.Event{
				Type: config.EventWindowExpiring, Source: "parley", ID: d.contact + ":" + strconv.FormatInt(d.closes, 10),
				OccurredAt: now.UTC(),
				Contact:    event.Contact{Phone: c.Phone, Name: c.Name, Locale: c.Locale},
				Data: map[string]any{
					"contact_id": d.contact, "closes_at": closes.Format(time.RFC3339),
					"minutes_left": int(closes.Sub(now).Minutes()),
				},
			}
			if c.Phone == "" && c.WaID != "" {
				ev.Contact.Phone = "+" + c.WaID
			}
			if _, err := e.events.EmitTx(ctx, tx, ev); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE windows SET expiring_for = ? WHERE contact_id = ?`, d.closes, d.contact); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
