package delivery

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

	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Message states, as stored and shown by the API.
const (
	StateAccepted  = "accepted"
	StateSent      = "sent"
	StateDelivered = "delivered"
	StateRead      = "read"
	StateFailed    = "failed"
)

var (
	// ErrNotFound means no message has the given id.
	ErrNotFound = errors.New("message not found")
)

// NewMessage is an outbound message to create.
type NewMessage struct {
	// EventID is the event that caused it; empty for direct sends.
	EventID string
	// DedupeKey makes creation idempotent: a second message with the same
	// key is not created. Empty means no key.
	DedupeKey string
	// Flow names the flow that made it, if any.
	Flow string
	// Request is the Cloud API request body.
	Request *whatsapp.SendRequest
}

// Message is an outbound message with its status history.
type Message struct {
	ID          string          `json:"id"`
	EventID     string          `json:"event_id,omitempty"`
	Flow        string          `json:"flow,omitempty"`
	To          string          `json:"to"`
	WaID        string          `json:"wa_id,omitempty"`
	Type        string          `json:"type"`
	Status      string          `json:"status"`
	WAMID       string          `json:"wamid,omitempty"`
	Attempts    int             `json:"attempts"`
	Error       *Error          `json:"error,omitempty"`
	Pricing     json.RawMessage `json:"pricing,omitempty"`
	Request     json.RawMessage `json:"request"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	SubmittedAt *time.Time      `json:"submitted_at,omitempty"`
	History     []StatusEntry   `json:"history,omitempty"`
	// Decision is the policy gate's latest decision on the message (see
	// core/policy), filled by the API.
	Decision json.RawMessage `json:"decision,omitempty"`
}

// Error is why a message failed (or last failed an attempt).
type Error struct {
	Code   int    `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
}

// StatusEntry is one status in a message's history.
type StatusEntry struct {
	Status     string          `json:"status"`
	Source     string          `json:"source"`
	At         time.Time       `json:"at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// Store reads and writes the messages tables. It is safe for concurrent use.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a Store on db.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, now: time.Now}
}

// NewID returns a new message id.
func NewID() string { return "msg_" + strings.ToLower(ulid.Make().String()) }

// CreateTx creates a message inside tx, in state accepted. When DedupeKey
// is set and a message with that key exists, it creates nothing and returns
// the existing id with created false.
func (s *Store) CreateTx(ctx context.Context, tx *store.Tx, m NewMessage) (id string, created bool, err error) {
	body, err := json.Marshal(m.Request)
	if err != nil {
		return "", false, fmt.Errorf("create message: encode request: %w", err)
	}
	id = NewID()
	now := s.now().UnixMilli()
	var dedupe, event any
	if m.DedupeKey != "" {
		dedupe = m.DedupeKey
	}
	if m.EventID != "" {
		event = m.EventID
	}
	to := m.Request.To
	if to == "" {
		to = m.Request.Recipient
	}
	kind := m.Request.Type
	if kind == "" {
		kind = "text"
	}
	res, err := tx.Exec(ctx, `INSERT INTO messages(id, event_id, dedupe_key, flow, recipient, kind, request, status, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dedupe_key) DO NOTHING`,
		id, event, dedupe, m.Flow, to, kind, body, StateAccepted, now, now)
	if err != nil {
		return "", false, fmt.Errorf("create message: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		err := tx.QueryRow(ctx, `SELECT id FROM messages WHERE dedupe_key = ?`, m.DedupeKey).Scan(&id)
		if err != nil {
			return "", false, fmt.Errorf("create message: find duplicate %q: %w", m.DedupeKey, err)
		}
		return id, false, nil
	}
	return id, true, nil
}

const messageColumns = `id, COALESCE(event_id,''), flow, recipient, COALESCE(wa_id,''), kind, status, COALESCE(wamid,''), attempts,
	error_code, COALESCE(error_title,''), COALESCE(error_detail,''), pricing, request, created_at, updated_at, submitted_at`

type scanner interface{ Scan(dst ...any) error }

func scanMessage(r scanner) (*Message, error) {
	var m Message
	var code sql.NullInt64
	var title, detail string
	var pricing sql.NullString
	var req []byte
	var created, updated int64
	var submitted sql.NullInt64
	if err := r.Scan(&m.ID, &m.EventID, &m.Flow, &m.To, &m.WaID, &m.Type, &m.Status, &m.WAMID, &m.Attempts,
		&code, &title, &detail, &pricing, &req, &created, &updated, &submitted); err != nil {
		return nil, err
	}
	if code.Valid || title != "" {
		m.Error = &Error{Code: int(code.Int64), Title: title, Detail: detail}
	}
	if pricing.Valid {
		m.Pricing = json.RawMessage(pricing.String)
	}
	m.Request = req
	m.CreatedAt = time.UnixMilli(created).UTC()
	m.UpdatedAt = time.UnixMilli(updated).UTC()
	if submitted.Valid {
		t := time.UnixMilli(submitted.Int64).UTC()
		m.SubmittedAt = &t
	}
	return &m, nil
}

// Get returns a message with its status history, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Message, error) {
	r := s.db.Reader()
	m, err := scanMessage(r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get message %q: %w", id, err)
	}
	rows, err := r.QueryContext(ctx, `SELECT status, source, at, recorded_at, detail FROM message_statuses WHERE message_id = ? ORDER BY recorded_at, at`, id)
	if err != nil {
		return nil, fmt.Errorf("get message %q history: %w", id, err)
	}
	defer rows.Close()
	m.History = []StatusEntry{{Status: StateAccepted, Source: "parley", At: m.CreatedAt, RecordedAt: m.CreatedAt}}
	for rows.Next() {
		var e StatusEntry
		var at, rec int64
		var detail sql.NullString
		if err := rows.Scan(&e.Status, &e.Source, &at, &rec, &detail); err != nil {
			return nil, fmt.Errorf("get message %q history: %w", id, err)
		}
		e.At, e.RecordedAt = time.UnixMilli(at).UTC(), time.UnixMilli(rec).UTC()
		if detail.Valid {
			e.Detail = json.RawMessage(detail.String)
		}
		m.History = append(m.History, e)
	}
	return m, rows.Err()
}

// Filter selects messages for List.
type Filter struct {
	EventID string
	Status  string
	// Before is a cursor: only messages older than the message with this id.
	Before string
	// Limit caps the result; 0 means 50, at most 500.
	Limit int
}

// List returns messages newest first, without history, and the cursor of
// the next page ("" when there is none).
func (s *Store) List(ctx context.Context, f Filter) ([]Message, string, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	var where []string
	var args []any
	if f.EventID != "" {
		where = append(where, "event_id = ?")
		args = append(args, f.EventID)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Before != "" {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT ` + messageColumns + ` FROM messages`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit+1)
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list messages: %w", err)
		}
		out = append(out, *m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list messages: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// EnqueueTx creates a message inside tx (see CreateTx) and, when it is new,
// publishes its id on topic in the same transaction, so that a message
// exists if and only if it is queued for sending.
func (s *Store) EnqueueTx(ctx context.Context, tx *store.Tx, m NewMessage, topic string) (id string, created bool, err error) {
	id, created, err = s.CreateTx(ctx, tx, m)
	if err != nil || !created {
		return id, created, err
	}
	if err := pubsub.PublishTx(tx, topic, message.NewMessage(watermill.NewUUID(), []byte(id))); err != nil {
		return "", false, fmt.Errorf("enqueue message %s: %w", id, err)
	}
	return id, true, nil
}
