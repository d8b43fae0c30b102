package contacts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"golang.org/x/text/language"

	"github.com/parley-hub/parley/core/store"
)

// Identity kinds, strongest first: an external id names one record in one
// system, a phone or WhatsApp id one handset, an email may be shared.
const (
	KindExternal = "external" // source:id, e.g. shopify:7001234567890
	KindPhone    = "phone"    // E.164 with "+"
	KindWaID     = "wa_id"    // WhatsApp id: digits, no "+"
	KindUserID   = "user_id"  // business-scoped user id (BSUID)
	KindEmail    = "email"    // lower case
)

// Contact is a person Parley messages.
type Contact struct {
	ID         string         `json:"id"`
	Phone      string         `json:"phone,omitempty"`
	WaID       string         `json:"wa_id,omitempty"`
	Name       string         `json:"name,omitempty"`
	Email      string         `json:"email,omitempty"`
	Locale     string         `json:"locale,omitempty"`
	TimeZone   string         `json:"time_zone,omitempty"`
	Attributes map[string]any `json:"attributes"`
	Tags       []string       `json:"tags"`
	Identities []Identity     `json:"identities"`
	MergedInto string         `json:"merged_into,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// Identity is one identifier of a contact.
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Profile is what one source knows about a person. Every identifier set is
// attached to the resolved contact; the other fields overwrite the
// contact's when they are not empty.
type Profile struct {
	Phone    string // E.164 (normalize first)
	WaID     string
	UserID   string
	Email    string
	External string // source:id
	Name     string
	Locale   string // any BCP 47 or underscore form; stored as pt_BR
	TimeZone string // IANA name; ignored when unknown
	// Attributes are merged into the contact's, key by key.
	Attributes map[string]any
}

func (p Profile) identities() []Identity {
	var ids []Identity
	add := func(kind, v string) {
		if v = strings.TrimSpace(v); v != "" {
			ids = append(ids, Identity{kind, v})
		}
	}
	add(KindExternal, p.External)
	add(KindPhone, p.Phone)
	add(KindWaID, p.WaID)
	add(KindUserID, p.UserID)
	add(KindEmail, strings.ToLower(p.Email))
	return ids
}

// MergeHook moves the state another package keeps per contact from one
// contact to the one it was merged into, inside the merging transaction.
type MergeHook func(ctx context.Context, tx *store.Tx, from, into string) error

// Config configures a Store.
type Config struct {
	// MergeHooks run when two contacts turn out to be one person (an event
	// names a phone of one and an email of the other), so that windows,
	// queues and counters follow the surviving contact. The consent ledger
	// is append-only and is read through Aliases instead.
	MergeHooks []MergeHook
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Store reads and writes contacts. It is safe for concurrent use.
type Store struct {
	db  *store.DB
	cfg Config
}

// NewStore returns a Store on db.
func NewStore(db *store.DB, cfg Config) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{db: db, cfg: cfg}
}

// NewID returns a new contact id.
func NewID() string { return "con_" + strings.ToLower(ulid.Make().String()) }

// Query is what ResolveTx and the lookups read through: a write
// transaction or the reader pool.
type Query interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// txQuery adapts a store.Tx to Query.
type txQuery struct{ tx *store.Tx }

func (q txQuery) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.tx.QueryRow(ctx, query, args...)
}

func (q txQuery) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.Query(ctx, query, args...)
}

// InTx returns a Query that reads inside tx.
func InTx(tx *store.Tx) Query { return txQuery{tx} }

// ResolveTx finds the contact p describes, creating it when no identifier
// is known and merging contacts when p's identifiers belong to more than
// one (the oldest survives). It attaches p's identifiers and updates the
// contact's fields. It returns ErrNoIdentity when p has no identifier.
func (s *Store) ResolveTx(ctx context.Context, tx *store.Tx, p Profile) (string, error) {
	ids := p.identities()
	if len(ids) == 0 {
		return "", ErrNoIdentity
	}
	now := s.cfg.Now().UnixMilli()
	var found []string
	for _, id := range ids {
		var cid string
		err := tx.QueryRow(ctx, `SELECT contact_id FROM contact_identities WHERE kind = ? AND value = ?`, id.Kind, id.Value).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("resolve contact %s %s: %w", id.Kind, id.Value, err)
		}
		if !slices.Contains(found, cid) {
			found = append(found, cid)
		}
	}
	var id string
	switch len(found) {
	case 0:
		id = NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO contacts(id, created_at, updated_at) VALUES (?,?,?)`, id, now, now); err != nil {
			return "", fmt.Errorf("create contact: %w", err)
		}
	case 1:
		id = found[0]
	default:
		var err error
		if id, err = s.mergeTx(ctx, tx, found, now); err != nil {
			return "", err
		}
	}
	for _, ident := range ids {
		if _, err := tx.Exec(ctx, `INSERT OR IGNORE INTO contact_identities(kind, value, contact_id, created_at) VALUES (?,?,?,?)`,
			ident.Kind, ident.Value, id, now); err != nil {
			return "", fmt.Errorf("contact %s: identity %s: %w", id, ident.Kind, err)
		}
	}
	return id, s.updateTx(ctx, tx, id, p, now)
}

// updateTx copies p's non-empty fields onto the contact.
func (s *Store) updateTx(ctx context.Context, tx *store.Tx, id string, p Profile, now int64) error {
	attrs := "{}"
	if len(p.Attributes) > 0 {
		var cur string
		if err := tx.QueryRow(ctx, `SELECT attributes FROM contacts WHERE id = ?`, id).Scan(&cur); err != nil {
			return fmt.Errorf("contact %s: %w", id, err)
		}
		m := map[string]any{}
		_ = json.Unmarshal([]byte(cur), &m)
		maps.Copy(m, p.Attributes)
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("contact %s: attributes: %w", id, err)
		}
		attrs = string(b)
	}
	_, err := tx.Exec(ctx, `UPDATE contacts SET
		phone = COALESCE(?, phone), wa_id = COALESCE(?, wa_id), name = COALESCE(?, name), email = COALESCE(?, email),
		locale = COALESCE(?, locale), time_zone = COALESCE(?, time_zone),
		attributes = CASE WHEN ? = '{}' THEN attributes ELSE ? END, updated_at = ? WHERE id = ?`,
		nullable(p.Phone), nullable(p.WaID), nullable(p.Name), nullable(strings.ToLower(p.Email)),
		nullable(CanonicalLocale(p.Locale)), nullable(validZone(p.TimeZone)), attrs, attrs, now, id)
	if err != nil {
		return fmt.Errorf("update contact %s: %w", id, err)
	}
	return nil
}

// mergeTx merges contacts ids into the oldest of them and returns its id.
func (s *Store) mergeTx(ctx context.Context, tx *store.Tx, ids []string, now int64) (string, error) {
	into := ids[0]
	var oldest int64 = -1
	for _, id := range ids {
		var created int64
		if err := tx.QueryRow(ctx, `SELECT created_at FROM contacts WHERE id = ?`, id).Scan(&created); err != nil {
			return "", fmt.Errorf("merge contacts: %s: %w", id, err)
		}
		if oldest < 0 || created < oldest || created == oldest && id < into {
			into, oldest = id, created
		}
	}
	for _, from := range ids {
		if from == into {
			continue
		}
		for _, q := range []string{
			`UPDATE contact_identities SET contact_id = ? WHERE contact_id = ?`,
			`UPDATE contacts SET merged_into = ? WHERE merged_into = ?`,
		} {
			if _, err := tx.Exec(ctx, q, into, from); err != nil {
				return "", fmt.Errorf("merge contact %s into %s: %w", from, into, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET merged_into = ?, updated_at = ? WHERE id = ?`, into, now, from); err != nil {
			return "", fmt.Errorf("merge contact %s into %s: %w", from, into, err)
		}
		// Fields the survivor lacks come from the merged contact.
		if _, err := tx.Exec(ctx, `UPDATE contacts SET
			phone = COALESCE(phone, (SELECT phone FROM contacts WHERE id = ?)),
			wa_id = COALESCE(wa_id, (SELECT wa_id FROM contacts WHERE id = ?)),
			name = COALESCE(name, (SELECT name FROM contacts WHERE id = ?)),
			email = COALESCE(email, (SELECT email FROM contacts WHERE id = ?)),
			locale = COALESCE(locale, (SELECT locale FROM contacts WHERE id = ?)),
			time_zone = COALESCE(time_zone, (SELECT time_zone FROM contacts WHERE id = ?))
			WHERE id = ?`, from, from, from, from, from, from, into); err != nil {
			return "", fmt.Errorf("merge contact %s into %s: %w", from, into, err)
		}
		for _, h := range s.cfg.MergeHooks {
			if err := h(ctx, tx, from, into); err != nil {
				return "", fmt.Errorf("merge contact %s into %s: %w", from, into, err)
			}
		}
	}
	return into, nil
}

// Aliases returns id and the ids of every contact merged into it: the ids
// under which the append-only records of one person may be kept.
func Aliases(ctx context.Context, q Query, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM contacts WHERE merged_into = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("aliases of %s: %w", id, err)
	}
	defer rows.Close()
	out := []string{id}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("aliases of %s: %w", id, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Find returns the id of the contact with the identifier, following a
// merge, or ErrNotFound.
func Find(ctx context.Context, q Query, kind, value string) (string, error) {
	if kind == KindEmail {
		value = strings.ToLower(value)
	}
	var id string
	err := q.QueryRowContext(ctx, `SELECT COALESCE(c.merged_into, c.id) FROM contact_identities i JOIN contacts c ON c.id = i.contact_id
		WHERE i.kind = ? AND i.value = ?`, kind, value).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%s %q: %w", kind, value, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("find contact by %s: %w", kind, err)
	}
	return id, nil
}

// Ref resolves what an API caller names a contact by: its id (con_...), an
// E.164 phone number, or a WhatsApp id.
func (s *Store) Ref(ctx context.Context, ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "con_"):
		var id string
		err := s.db.ReadRow(ctx, `SELECT COALESCE(merged_into, id) FROM contacts WHERE id = ?`, ref).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("contact %q: %w", ref, ErrNotFound)
		}
		return id, err
	case strings.HasPrefix(ref, "+"):
		return Find(ctx, s.db.Reader(), KindPhone, ref)
	default:
		return Find(ctx, s.db.Reader(), KindWaID, ref)
	}
}

// Get returns a contact with its identities, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Contact, error) {
	return Get(ctx, s.db.Reader(), id)
}

// Get returns a contact with its identities through q, or ErrNotFound.
func Get(ctx context.Context, q Query, id string) (*Contact, error) {
	c := Contact{ID: id}
	var phone, wa, name, email, locale, tz, merged sql.NullString
	var attrs, tags string
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT phone, wa_id, name, email, locale, time_zone, attributes, tags, merged_into, created_at, updated_at
		FROM contacts WHERE id = ?`, id).Scan(&phone, &wa, &name, &email, &locale, &tz, &attrs, &tags, &merged, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("contact %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get contact %q: %w", id, err)
	}
	c.Phone, c.WaID, c.Name, c.Email, c.Locale, c.TimeZone, c.MergedInto = phone.String, wa.String, name.String, email.String, locale.String, tz.String, merged.String
	c.Attributes, c.Tags = map[string]any{}, []string{}
	_ = json.Unmarshal([]byte(attrs), &c.Attributes)
	_ = json.Unmarshal([]byte(tags), &c.Tags)
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	rows, err := q.QueryContext(ctx, `SELECT kind, value FROM contact_identities WHERE contact_id = ? ORDER BY kind, value`, id)
	if err != nil {
		return nil, fmt.Errorf("get contact %q identities: %w", id, err)
	}
	defer rows.Close()
	c.Identities = []Identity{}
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.Kind, &i.Value); err != nil {
			return nil, fmt.Errorf("get contact %q identities: %w", id, err)
		}
		c.Identities = append(c.Identities, i)
	}
	return &c, rows.Err()
}

// TagTx adds tag to the contact's tags (once).
func TagTx(ctx context.Context, tx *store.Tx, id, tag string, now time.Time) error {
	var raw string
	if err := tx.QueryRow(ctx, `SELECT tags FROM contacts WHERE id = ?`, id).Scan(&raw); err != nil {
		return fmt.Errorf("tag contact %s: %w", id, err)
	}
	var tags []string
	_ = json.Unmarshal([]byte(raw), &tags)
	if slices.Contains(tags, tag) {
		return nil
	}
	b, _ := json.Marshal(append(tags, tag))
	_, err := tx.Exec(ctx, `UPDATE contacts SET tags = ?, updated_at = ? WHERE id = ?`, string(b), now.UnixMilli(), id)
	return err
}

// CanonicalLocale returns a language tag in the underscore form WhatsApp
// uses for template languages (pt-br → pt_BR), or "" when s is not a
// well-formed tag.
func CanonicalLocale(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", "-"))
	if s == "" {
		return ""
	}
	t, err := language.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(t.String(), "-", "_")
}

// Location returns the contact's time zone: its time_zone (from an
// attribute), else the single zone of its phone number's prefix, else def.
func (c *Contact) Location(def *time.Location) *time.Location {
	for _, name := range []string{c.TimeZone, PhoneTimeZone(c.Phone)} {
		if loc := LoadLocation(name); loc != nil {
			return loc
		}
	}
	return def
}

var zones sync.Map // name -> *time.Location, or nil for unknown names

// LoadLocation is time.LoadLocation, cached, returning nil for "" or an
// unknown name.
func LoadLocation(name string) *time.Location {
	if name == "" {
		return nil
	}
	if l, ok := zones.Load(name); ok {
		loc, _ := l.(*time.Location)
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	zones.Store(name, loc)
	return loc
}

func validZone(name string) string {
	if LoadLocation(name) == nil {
		return ""
	}
	return name
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
