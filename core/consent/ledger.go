package consent

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/store"
)

// Purposes: what a message is for. They match WhatsApp's template
// categories, plus service for free-form replies inside the window.
const (
	Marketing      = "marketing"
	Utility        = "utility"
	Authentication = "authentication"
	Service        = "service"
)

// Purposes lists every purpose.
var Purposes = []string{Marketing, Utility, Authentication, Service}

// Statuses of a record, and of a purpose's current state.
const (
	OptIn  = "opt_in"
	OptOut = "opt_out"
	// None is the state of a purpose with no record in force.
	None = "none"
)

// Sources of a record.
const (
	SourceAPI       = "api"
	SourceKeyword   = "keyword"
	SourceConnector = "connector"
	SourceImport    = "import"
	SourcePlatform  = "platform"
)

// Sources lists every source.
var Sources = []string{SourceAPI, SourceKeyword, SourceConnector, SourceImport, SourcePlatform}

// Lawful bases (GDPR art. 6(1)).
const (
	BasisConsent             = "consent"
	BasisContract            = "contract"
	BasisLegalObligation     = "legal_obligation"
	BasisVitalInterests      = "vital_interests"
	BasisPublicTask          = "public_task"
	BasisLegitimateInterests = "legitimate_interests"
)

// Bases lists every lawful basis.
var Bases = []string{BasisConsent, BasisContract, BasisLegalObligation, BasisVitalInterests, BasisPublicTask, BasisLegitimateInterests}

// ChannelWhatsApp is the channel of every record Parley itself makes.
const ChannelWhatsApp = "whatsapp"

var (
	// ErrInvalid means a record is missing a field or has a value outside
	// its set; the *FieldError says which.
	ErrInvalid = errors.New("invalid consent record")
)

// FieldError names the field of a record that is wrong and its value.
type FieldError struct {
	Field string
	Value string
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("consent record: %s: %s (got %q)", e.Field, e.Msg, e.Value)
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Record is one entry of the ledger.
type Record struct {
	ID          int64           `json:"id"`
	ContactID   string          `json:"contact_id"`
	Channel     string          `json:"channel"`
	Purpose     string          `json:"purpose"`
	Status      string          `json:"status"`
	LawfulBasis string          `json:"lawful_basis"`
	Source      string          `json:"source"`
	Evidence    json.RawMessage `json:"evidence"`
	Actor       string          `json:"actor"`
	EffectiveAt time.Time       `json:"effective_at"`
	RecordedAt  time.Time       `json:"recorded_at"`
	ExpiresAt   *time.Time      `json:"expires_at,omitempty"`
	// DedupeKey, when set, makes recording idempotent: a second record
	// with the key is not added (a redelivered webhook, a replayed event).
	DedupeKey string `json:"-"`
}

// Validate checks the record's fields.
func (r *Record) Validate() error {
	switch {
	case r.ContactID == "":
		return &FieldError{"contact_id", r.ContactID, "is required"}
	case r.Channel == "":
		return &FieldError{"channel", r.Channel, "is required"}
	case !slices.Contains(Purposes, r.Purpose):
		return &FieldError{"purpose", r.Purpose, "want one of " + strings.Join(Purposes, ", ")}
	case r.Status != OptIn && r.Status != OptOut:
		return &FieldError{"status", r.Status, "want opt_in or opt_out"}
	case !slices.Contains(Bases, r.LawfulBasis):
		return &FieldError{"lawful_basis", r.LawfulBasis, "want one of " + strings.Join(Bases, ", ")}
	case !slices.Contains(Sources, r.Source):
		return &FieldError{"source", r.Source, "want one of " + strings.Join(Sources, ", ")}
	case r.Actor == "":
		return &FieldError{"actor", r.Actor, "is required"}
	case len(r.Evidence) > 0 && !json.Valid(r.Evidence):
		return &FieldError{"evidence", string(r.Evidence), "want a JSON value"}
	case r.ExpiresAt != nil && !r.ExpiresAt.After(r.EffectiveAt):
		return &FieldError{"expires_at", r.ExpiresAt.Format(time.RFC3339), "must be after effective_at"}
	}
	return nil
}

// RecordTx appends r to the ledger inside tx. RecordedAt defaults to now
// and EffectiveAt to RecordedAt. It returns false, and records nothing, when
// a record with r.DedupeKey exists.
func RecordTx(ctx context.Context, tx *store.Tx, r Record, now time.Time) (bool, error) {
	if r.RecordedAt.IsZero() {
		r.RecordedAt = now
	}
	if r.EffectiveAt.IsZero() {
		r.EffectiveAt = r.RecordedAt
	}
	if len(r.Evidence) == 0 {
		r.Evidence = json.RawMessage("{}")
	}
	if err := r.Validate(); err != nil {
		return false, err
	}
	var expires, dedupe any
	if r.ExpiresAt != nil {
		expires = r.ExpiresAt.UnixMilli()
	}
	if r.DedupeKey != "" {
		dedupe = r.DedupeKey
	}
	res, err := tx.Exec(ctx, `INSERT INTO consent_records(contact_id, channel, purpose, status, lawful_basis, source, evidence, actor, effective_at, recorded_at, expires_at, dedupe_key)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dedupe_key) DO NOTHING`,
		r.ContactID, r.Channel, r.Purpose, r.Status, r.LawfulBasis, r.Source, string(r.Evidence), r.Actor,
		r.EffectiveAt.UnixMilli(), r.RecordedAt.UnixMilli(), expires, dedupe)
	if err != nil {
		return false, fmt.Errorf("record consent %s %s for %s: %w", r.Purpose, r.Status, r.ContactID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Standing is the current state of one purpose for a contact.
type Standing struct {
	Purpose string `json:"purpose"`
	// Status is OptIn, OptOut or None.
	Status string `json:"status"`
	// Record is the record in force, nil for None.
	Record *Record `json:"record,omitempty"`
}

// State is a contact's current consent, one Standing per purpose.
type State map[string]Standing

// Of returns the standing of purpose (None when absent).
func (s State) Of(purpose string) Standing {
	if st, ok := s[purpose]; ok {
		return st
	}
	return Standing{Purpose: purpose, Status: None}
}

// Current derives a contact's consent at now from the ledger (the records
// of the contact and of contacts merged into it): per purpose, the record
// with the latest effective time at or before now that has not expired.
func Current(ctx context.Context, q contacts.Query, contactID string, now time.Time) (State, error) {
	recs, err := History(ctx, q, contactID)
	if err != nil {
		return nil, err
	}
	return Derive(recs, now), nil
}

// Derive computes the state at now from records (in any order). Records
// are ordered by effective time to the second: the platform stamps a
// customer's message (a STOP) with whole seconds, so within one second the
// ledger cannot tell which came first, and keeps the opt-out; then by id.
func Derive(recs []Record, now time.Time) State {
	st := State{}
	for _, p := range Purposes {
		st[p] = Standing{Purpose: p, Status: None}
	}
	var best = map[string]*Record{}
	for i := range recs {
		r := &recs[i]
		if r.Channel != ChannelWhatsApp || r.EffectiveAt.After(now) || r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) {
			continue
		}
		if b := best[r.Purpose]; b == nil || later(r, b) {
			best[r.Purpose] = r
		}
	}
	for p, r := range best {
		st[p] = Standing{Purpose: p, Status: r.Status, Record: r}
	}
	return st
}

// later reports whether a supersedes b (see Derive).
func later(a, b *Record) bool {
	sa, sb := a.EffectiveAt.Truncate(time.Second), b.EffectiveAt.Truncate(time.Second)
	switch {
	case !sa.Equal(sb):
		return sa.After(sb)
	case a.Status != b.Status:
		return a.Status == OptOut
	}
	return a.ID > b.ID
}

// History returns the ledger of a contact (and of contacts merged into
// it), oldest first.
func History(ctx context.Context, q contacts.Query, contactID string) ([]Record, error) {
	ids, err := contacts.Aliases(ctx, q, contactID)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, id := range ids {
		rows, err := q.QueryContext(ctx, `SELECT id, contact_id, channel, purpose, status, lawful_basis, source, evidence, actor, effective_at, recorded_at, expires_at
			FROM consent_records WHERE contact_id = ? ORDER BY effective_at, id`, id)
		if err != nil {
			return nil, fmt.Errorf("consent of %s: %w", contactID, err)
		}
		for rows.Next() {
			var r Record
			var ev string
			var eff, rec int64
			var exp sql.NullInt64
			if err := rows.Scan(&r.ID, &r.ContactID, &r.Channel, &r.Purpose, &r.Status, &r.LawfulBasis, &r.Source, &ev, &r.Actor, &eff, &rec, &exp); err != nil {
				rows.Close()
				return nil, fmt.Errorf("consent of %s: %w", contactID, err)
			}
			r.Evidence = json.RawMessage(ev)
			r.EffectiveAt, r.RecordedAt = time.UnixMilli(eff).UTC(), time.UnixMilli(rec).UTC()
			if exp.Valid {
				t := time.UnixMilli(exp.Int64).UTC()
				r.ExpiresAt = &t
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("consent of %s: %w", contactID, err)
		}
	}
	if len(ids) > 1 {
		slices.SortStableFunc(out, func(a, b Record) int {
			if c := a.EffectiveAt.Compare(b.EffectiveAt); c != 0 {
				return c
			}
			return int(a.ID - b.ID)
		})
	}
	return out, nil
}
