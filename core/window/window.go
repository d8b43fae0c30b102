package window

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/store"
)

// The window lengths (PROTOCOL §5).
const (
	// Service is the customer-service window opened by each message: free-
	// form messages may go within it, only templates outside it.
	Service = 24 * time.Hour
	// EntryPoint is the free entry point period after a click-to-WhatsApp
	// referral, in which messages are free of charge. It does not widen
	// what may be sent: the customer-service window still governs that
	// (the platform answers 131047 to free-form messages 24 h after the
	// customer's last message, entry point or not).
	EntryPoint = 72 * time.Hour
)

// State is a contact's window at a moment.
type State struct {
	// Open reports whether free-form messages may be sent.
	Open bool `json:"open"`
	// ClosesAt is when the window closes (or closed); zero if the contact
	// never wrote.
	ClosesAt time.Time `json:"closes_at,omitzero"`
	// LastInbound is the contact's latest message.
	LastInbound time.Time `json:"last_inbound_at,omitzero"`
	// EntryPointUntil is the end of the free entry point period the
	// contact's latest referral started (zero for none).
	EntryPointUntil time.Time `json:"entry_point_until,omitzero"`
}

// OpenTx records a message the contact sent at at, inside tx: it opens or
// extends the window to at+24h, never shortening it; with referral it also
// starts a 72 h free entry point period. Applying the same message twice
// changes nothing.
func OpenTx(ctx context.Context, tx *store.Tx, contactID string, at time.Time, referral bool) error {
	var ep any
	if referral {
		ep = at.Add(EntryPoint).UnixMilli()
	}
	_, err := tx.Exec(ctx, `INSERT INTO windows(contact_id, last_inbound_at, closes_at, entry_point_until) VALUES (?,?,?,?)
		ON CONFLICT(contact_id) DO UPDATE SET
			last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at),
			closes_at = MAX(closes_at, excluded.closes_at),
			entry_point_until = MAX(COALESCE(entry_point_until, 0), COALESCE(excluded.entry_point_until, 0))`,
		contactID, at.UnixMilli(), at.Add(Service).UnixMilli(), ep)
	if err != nil {
		return fmt.Errorf("open window of %s: %w", contactID, err)
	}
	return nil
}

// Get returns the contact's window at now.
func Get(ctx context.Context, q contacts.Query, contactID string, now time.Time) (State, error) {
	var last, closes int64
	var ep sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT last_inbound_at, closes_at, entry_point_until FROM windows WHERE contact_id = ?`, contactID).Scan(&last, &closes, &ep)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("window of %s: %w", contactID, err)
	}
	return StateOf(last, closes, ep.Int64, now), nil
}

// StateOf builds the state at now from a windows row's times (Unix ms; 0
// for no entry point), for callers that read the row with other data.
func StateOf(lastInbound, closesAt, entryPointUntil int64, now time.Time) State {
	st := State{ClosesAt: time.UnixMilli(closesAt).UTC(), LastInbound: time.UnixMilli(lastInbound).UTC()}
	if entryPointUntil > 0 {
		st.EntryPointUntil = time.UnixMilli(entryPointUntil).UTC()
	}
	st.Open = now.Before(st.ClosesAt)
	return st
}

// MergeTx moves a merged contact's window onto the contact it was merged
// into, keeping the later times; it is a contacts.MergeHook.
func MergeTx(ctx context.Context, tx *store.Tx, from, into string) error {
	_, err := tx.Exec(ctx, `INSERT INTO windows(contact_id, last_inbound_at, closes_at, entry_point_until, expiring_for)
		SELECT ?, last_inbound_at, closes_at, entry_point_until, expiring_for FROM windows WHERE contact_id = ?
		ON CONFLICT(contact_id) DO UPDATE SET
			last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at),
			closes_at = MAX(closes_at, excluded.closes_at),
			entry_point_until = MAX(COALESCE(entry_point_until, 0), COALESCE(excluded.entry_point_until, 0))`, into, from)
	if err != nil {
		return fmt.Errorf("merge window of %s into %s: %w", from, into, err)
	}
	_, err = tx.Exec(ctx, `DELETE FROM windows WHERE contact_id = ?`, from)
	return err
}
