package policy

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/store"
)

// Record is a stored decision: the audit record of one pre-send decision.
type Record struct {
	ID          int64           `json:"id"`
	MessageID   string          `json:"message_id"`
	ContactID   string          `json:"contact_id,omitempty"`
	Outcome     Outcome         `json:"outcome"`
	Reason      string          `json:"reason"`
	Detail      string          `json:"detail"`
	Purpose     string          `json:"purpose"`
	LawfulBasis string          `json:"lawful_basis"`
	Template    string          `json:"template,omitempty"`
	Language    string          `json:"language,omitempty"`
	DeferUntil  *time.Time      `json:"defer_until,omitempty"`
	Fallback    *FallbackAction `json:"fallback,omitempty"`
	Actor       string          `json:"actor"`
	DecidedAt   time.Time       `json:"decided_at"`
}

// recordTx stores decision d on a message as an audit record.
func recordTx(ctx context.Context, tx *store.Tx, messageID, contactID, actor string, d Decision, now time.Time) error {
	var deferUntil, fallback any
	if !d.DeferUntil.IsZero() {
		deferUntil = d.DeferUntil.UnixMilli()
	}
	if d.Fallback != nil {
		b, _ := json.Marshal(d.Fallback)
		fallback = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO decisions(message_id, contact_id, outcome, reason, detail, purpose, lawful_basis, template, language, defer_until, fallback, actor, decided_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		messageID, nullable(contactID), string(d.Outcome), d.Reason, d.Detail, d.Purpose, d.LawfulBasis,
		nullable(d.Template), nullable(d.Language), deferUntil, fallback, actor, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", messageID, err)
	}
	return nil
}

// Decisions returns the decisions on a message, oldest first.
func Decisions(ctx context.Context, q contacts.Query, messageID string) ([]Record, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, message_id, COALESCE(contact_id,''), outcome, reason, detail, purpose, lawful_basis,
		COALESCE(template,''), COALESCE(language,''), defer_until, fallback, actor, decided_at FROM decisions WHERE message_id = ? ORDER BY id`, messageID)
	if err != nil {
		return nil, fmt.Errorf("decisions on %s: %w", messageID, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var deferUntil sql.NullInt64
		var fallback sql.NullString
		var decided int64
		var outcome string
		if err := rows.Scan(&r.ID, &r.MessageID, &r.ContactID, &outcome, &r.Reason, &r.Detail, &r.Purpose, &r.LawfulBasis,
			&r.Template, &r.Language, &deferUntil, &fallback, &r.Actor, &decided); err != nil {
			return nil, fmt.Errorf("decisions on %s: %w", messageID, err)
		}
		r.Outcome = Outcome(outcome)
		if deferUntil.Valid {
			t := time.UnixMilli(deferUntil.Int64).UTC()
			r.DeferUntil = &t
		}
		if fallback.Valid {
			r.Fallback = new(FallbackAction)
			_ = json.Unmarshal([]byte(fallback.String), r.Fallback)
		}
		r.DecidedAt = time.UnixMilli(decided).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Audit reads the decisions for the API. It is safe for concurrent use.
type Audit struct{ db *store.DB }

// NewAudit returns an Audit on db.
func NewAudit(db *store.DB) *Audit { return &Audit{db: db} }

// Latest returns the latest decision on a message as JSON, with the number
// of decisions before it, or nil when the gate has not decided it yet.
func (a *Audit) Latest(ctx context.Context, messageID string) (json.RawMessage, error) {
	recs, err := Decisions(ctx, a.db.Reader(), messageID)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	out := struct {
		Record
		Previous []Record `json:"previous,omitempty"`
	}{Record: recs[len(recs)-1], Previous: recs[:len(recs)-1]}
	return json.Marshal(out)
}
