package handoff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/store"
)

// Entry states.
const (
	StateOpen    = "open"
	StateClaimed = "claimed"
	StateClosed  = "closed"
)

// Reasons a conversation enters the queue.
const (
	ReasonEscalation = "escalation"
	ReasonFlow       = "flow"
	ReasonFallback   = "fallback"
	ReasonAPI        = "api"
)

var (
	// ErrNotFound means no queue entry matches.
	ErrNotFound = errors.New("no such queue entry")
	// ErrClosed means the entry was already handed back.
	ErrClosed = errors.New("queue entry is closed")
)

// Entry is one conversation in the agent queue.
type Entry struct {
	ID        string     `json:"id"`
	ContactID string     `json:"contact_id"`
	State     string     `json:"state"`
	Reason    string     `json:"reason"`
	Detail    string     `json:"detail,omitempty"`
	SourceRef string     `json:"source_ref,omitempty"`
	Agent     string     `json:"agent,omitempty"`
	OpenedAt  time.Time  `json:"opened_at"`
	ClaimedAt *time.Time `json:"claimed_at,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// OpenTx puts the contact's conversation in the queue inside tx, unless it
// is there already: then it returns the existing entry with created false.
func OpenTx(ctx context.Context, tx *store.Tx, contactID, reason, detail, ref string, now time.Time) (string, bool, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM agent_queue WHERE contact_id = ? AND state <> ? ORDER BY opened_at LIMIT 1`, contactID, StateClosed).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("queue %s: %w", contactID, err)
	}
	id = "hof_" + strings.ToLower(ulid.Make().String())
	var r any
	if ref != "" {
		r = ref
	}
	if _, err := tx.Exec(ctx, `INSERT INTO agent_queue(id, contact_id, state, reason, detail, source_ref, opened_at) VALUES (?,?,?,?,?,?,?)`,
		id, contactID, StateOpen, reason, detail, r, now.UnixMilli()); err != nil {
		return "", false, fmt.Errorf("queue %s: %w", contactID, err)
	}
	return id, true, nil
}

// Paused reports whether the bot is paused for the contact: its
// conversation is in the queue and not handed back.
func Paused(ctx context.Context, q contacts.Query, contactID string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM agent_queue WHERE contact_id = ? AND state <> ?`, contactID, StateClosed).Scan(&n); err != nil {
		return false, fmt.Errorf("paused %s: %w", contactID, err)
	}
	return n > 0, nil
}

// MergeTx moves a merged contact's queue entries to the contact it was
// merged into; it is a contacts.MergeHook.
func MergeTx(ctx context.Context, tx *store.Tx, from, into string) error {
	_, err := tx.Exec(ctx, `UPDATE agent_queue SET contact_id = ? WHERE contact_id = ?`, into, from)
	return err
}

// Store reads and changes the queue. It is safe for concurrent use.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a Store on db.
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

// Open puts a contact's conversation in the queue (see OpenTx).
func (s *Store) Open(ctx context.Context, contactID, reason, detail, ref string) (string, bool, error) {
	var id string
	var created bool
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		id, created, err = OpenTx(ctx, tx, contactID, reason, detail, ref, s.now())
		return err
	})
	return id, created, err
}

// List returns queue entries, oldest first: those in state, or every one
// not closed when state is "".
func (s *Store) List(ctx context.Context, state, contactID string, limit int) ([]Entry, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT id, contact_id, state, reason, detail, COALESCE(source_ref,''), COALESCE(agent,''), opened_at, claimed_at, closed_at FROM agent_queue WHERE `
	var args []any
	if state == "" {
		q += "state <> ?"
		args = append(args, StateClosed)
	} else {
		q += "state = ?"
		args = append(args, state)
	}
	if contactID != "" {
		q += " AND contact_id = ?"
		args = append(args, contactID)
	}
	q += " ORDER BY opened_at, id LIMIT ?"
	rows, err := s.db.Reader().QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var opened int64
		var claimed, closed sql.NullInt64
		if err := rows.Scan(&e.ID, &e.ContactID, &e.State, &e.Reason, &e.Detail, &e.SourceRef, &e.Agent, &opened, &claimed, &closed); err != nil {
			return nil, fmt.Errorf("list queue: %w", err)
		}
		e.OpenedAt = time.UnixMilli(opened).UTC()
		if claimed.Valid {
			t := time.UnixMilli(claimed.Int64).UTC()
			e.ClaimedAt = &t
		}
		if closed.Valid {
			t := time.UnixMilli(closed.Int64).UTC()
			e.ClosedAt = &t
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Claim assigns an open entry to an agent.
func (s *Store) Claim(ctx context.Context, id, agent string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM agent_queue WHERE id = ?`, id).Scan(&state); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		if state == StateClosed {
			return fmt.Errorf("%w: %s", ErrClosed, id)
		}
		_, err := tx.Exec(ctx, `UPDATE agent_queue SET state = ?, agent = ?, claimed_at = ? WHERE id = ?`, StateClaimed, agent, s.now().UnixMilli(), id)
		return err
	})
}

// HandBack closes every entry of the contact that is not closed, so the
// bot resumes; it returns how many it closed.
func (s *Store) HandBack(ctx context.Context, contactID, agent string) (int, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE agent_queue SET state = ?, closed_at = ?, agent = COALESCE(agent, ?) WHERE contact_id = ? AND state <> ?`,
			StateClosed, s.now().UnixMilli(), agent, contactID, StateClosed)
		if err != nil {
			return fmt.Errorf("hand back %s: %w", contactID, err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
