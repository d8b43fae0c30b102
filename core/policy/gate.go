package policy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/guard"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/window"
)

// ActionQueue takes a connector action to run (the fallback of a flow whose
// window is closed). It has the shape of flows.ActionQueue: called inside
// the transaction that records the decision; a repeat of the same flow
// and event adds nothing.
type ActionQueue interface {
	EnqueueActionTx(ctx context.Context, tx *store.Tx, f config.Flow, eventID string) error
}

// Meta is what a producer tells the gate about a message it creates.
type Meta struct {
	// ContactID is the recipient contact; "" lets the gate resolve it from
	// the recipient's phone number.
	ContactID string
	// Origin is one of the Origin* constants; default OriginFlow.
	Origin string
	// Category is the message's purpose; "" derives it (see Decide).
	Category string
	// LawfulBasis overrides the purpose's configured basis.
	LawfulBasis string
	// Alternative is the template to send if the window is closed.
	Alternative *whatsapp.SendRequest
	// Fallback is the action when nothing may be sent.
	Fallback *FallbackAction
}

// AttachTx records what the gate needs to know about a new message, inside
// the transaction that creates it (after delivery.Store.EnqueueTx onto the
// gate topic). Messages without it (direct API sends) are decided as
// OriginAPI with a derived category.
func AttachTx(ctx context.Context, tx *store.Tx, messageID string, m Meta) error {
	if m.Origin == "" {
		m.Origin = OriginFlow
	}
	var alt, fb any
	if m.Alternative != nil {
		b, err := json.Marshal(m.Alternative)
		if err != nil {
			return fmt.Errorf("gate %s: alternative: %w", messageID, err)
		}
		alt = b
	}
	if m.Fallback != nil {
		b, err := json.Marshal(m.Fallback)
		if err != nil {
			return fmt.Errorf("gate %s: fallback: %w", messageID, err)
		}
		fb = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO gate_messages(message_id, contact_id, origin, category, lawful_basis, alternative, fallback)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT(message_id) DO NOTHING`,
		messageID, nullable(m.ContactID), m.Origin, m.Category, m.LawfulBasis, alt, fb)
	if err != nil {
		return fmt.Errorf("gate %s: %w", messageID, err)
	}
	return nil
}

// Config configures a Gate.
type Config struct {
	DB        *store.DB
	Messages  *delivery.Store
	Contacts  *contacts.Store
	Templates *templates.Registry
	// Rules are the policy; Reload replaces them.
	Rules Rules
	// Pairs is the per-recipient pair limiter; nil turns pair pacing off.
	Pairs *guard.Pairs
	// Actions runs connector fallbacks; nil turns them into blocks.
	Actions ActionQueue
	// GateTopic and OutboxTopic are the gate's own topic (deferred messages
	// come back to it) and the send stage's.
	GateTopic, OutboxTopic string
	// DefaultZone is the recipient's zone when nothing says otherwise.
	DefaultZone *time.Location
	// Phones normalizes a direct message's recipient to find its contact.
	Phones contacts.Phones
	Now    func() time.Time
	Log    *slog.Logger
}

// Gate is the policy gate stage: the handler of the gate topic, between
// flows (and the API) and the outbox. It is safe for concurrent use.
type Gate struct {
	cfg   Config
	rules atomic.Pointer[Rules]
}

// New returns the gate stage.
func New(cfg Config) (*Gate, error) {
	switch {
	case cfg.DB == nil || cfg.Messages == nil || cfg.Contacts == nil || cfg.Templates == nil:
		return nil, errors.New("policy gate: DB, Messages, Contacts and Templates are required")
	case cfg.GateTopic == "" || cfg.OutboxTopic == "":
		return nil, errors.New("policy gate: GateTopic and OutboxTopic are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.DefaultZone == nil {
		cfg.DefaultZone = time.UTC
	}
	g := &Gate{cfg: cfg}
	g.rules.Store(&cfg.Rules)
	return g, nil
}

// Reload replaces the rules (a changed config file).
func (g *Gate) Reload(r Rules) { g.rules.Store(&r) }

// gated is a message as the gate loads it.
type gated struct {
	id, status, flow, eventID, recipient string
	request                              whatsapp.SendRequest
	hasMeta                              bool
	contactID, origin, category, basis   string
	alternative                          *whatsapp.SendRequest
	fallback                             *FallbackAction
	deferredUntil, releasedAt            sql.NullInt64
}

// Handle is the Watermill handler of the gate topic; the payload is a
// message id. It decides the message (Decide), records the decision and
// acts on it in one transaction. A message already released, blocked or
// deferred to a later time is left alone, so redeliveries are harmless;
// the database lets a message into the outbox at most once.
func (g *Gate) Handle(msg *message.Message) error {
	ctx := msg.Context()
	id := string(msg.Payload)
	now := g.cfg.Now()
	m, err := g.load(ctx, id)
	if err != nil {
		return err
	}
	if m.status != delivery.StateAccepted || m.releasedAt.Valid || m.deferredUntil.Valid && m.deferredUntil.Int64 > now.UnixMilli() {
		return nil
	}
	r := g.rules.Load()
	reader := g.cfg.DB.Reader()
	contactID := m.contactID
	if contactID == "" {
		// A direct send: the recipient's contact, if Parley knows it.
		if to, err := g.cfg.Phones.Normalize(m.recipient); err == nil {
			contactID, _ = contacts.Find(ctx, reader, contacts.KindPhone, to)
		}
	}
	in := g.message(ctx, m)
	f, err := g.facts(ctx, reader, contactID, m.recipient, now, *r)
	if err != nil {
		return err
	}
	d := Decide(*r, in, f)

	err = g.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		cid := contactID
		if cid == "" && m.recipient != "" {
			to, err := g.cfg.Phones.Normalize(m.recipient)
			if err == nil {
				if cid, err = g.cfg.Contacts.ResolveTx(ctx, tx, contacts.Profile{Phone: to}); err != nil {
					return err
				}
			}
		}
		if !m.hasMeta {
			if err := AttachTx(ctx, tx, id, Meta{ContactID: cid, Origin: OriginAPI}); err != nil {
				return err
			}
		}
		// Caps count releases; two messages decided at once must not both
		// take the last place, so a capped category is counted again here,
		// where writes are serialized.
		if (d.Outcome == Send || d.Outcome == SendTemplate) && !r.Transactional[d.Purpose] && len(r.Caps.For(d.Purpose)) > 0 {
			sent, err := sentTimes(ctx, contacts.InTx(tx), cid, d.Purpose, now.Add(-r.Caps.Longest(d.Purpose)))
			if err != nil {
				return err
			}
			f.Sent = func(string) []time.Time { return sent }
			d = Decide(*r, in, f)
		}
		return g.apply(ctx, tx, m, cid, d, now)
	})
	if errors.Is(err, errReleased) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gate %s: %w", id, err)
	}
	if (d.Outcome == Send || d.Outcome == SendTemplate) && g.cfg.Pairs != nil {
		g.cfg.Pairs.Reserve(pairKey(m.recipient), now)
	}
	g.cfg.Log.Debug("gate", "message_id", id, "outcome", d.Outcome, "reason", d.Reason)
	return nil
}

// errReleased means another delivery of the message released it first.
var errReleased = errors.New("already released")

// apply records decision d on message m and acts on it, inside tx.
func (g *Gate) apply(ctx context.Context, tx *store.Tx, m *gated, contactID string, d Decision, now time.Time) error {
	ms := now.UnixMilli()
	switch d.Outcome {
	case Send, SendTemplate:
		res, err := tx.Exec(ctx, `UPDATE gate_messages SET released_at = ?, deferred_until = NULL, contact_id = COALESCE(contact_id, ?), category = ?
			WHERE message_id = ? AND released_at IS NULL`, ms, nullable(contactID), d.Purpose, m.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errReleased
		}
		if d.Outcome == SendTemplate {
			if err := g.cfg.Messages.ReplaceRequestTx(ctx, tx, m.id, d.Request); err != nil {
				return err
			}
		}
		if err := pubsub.PublishTx(tx, g.cfg.OutboxTopic, message.NewMessage(watermill.NewUUID(), []byte(m.id))); err != nil {
			return err
		}
	case DeferUntil:
		if _, err := tx.Exec(ctx, `UPDATE gate_messages SET deferred_until = ? WHERE message_id = ? AND released_at IS NULL`,
			d.DeferUntil.UnixMilli(), m.id); err != nil {
			return err
		}
	case Fallback:
		if err := g.fallback(ctx, tx, m, contactID, d, now); err != nil {
			return err
		}
		if err := g.cfg.Messages.BlockTx(ctx, tx, m.id, string(d.Outcome)+": "+d.Reason, d.Detail); err != nil {
			return err
		}
	case Block:
		if err := g.cfg.Messages.BlockTx(ctx, tx, m.id, string(d.Outcome)+": "+d.Reason, d.Detail); err != nil {
			return err
		}
	}
	return recordTx(ctx, tx, m.id, contactID, actor(m), d, now)
}

// fallback runs a fallback action inside tx.
func (g *Gate) fallback(ctx context.Context, tx *store.Tx, m *gated, contactID string, d Decision, now time.Time) error {
	fb := d.Fallback
	if fb.Action != nil && g.cfg.Actions != nil && m.eventID != "" {
		return g.cfg.Actions.EnqueueActionTx(ctx, tx, config.Flow{Name: m.flow + ".when_closed", Action: *fb.Action}, m.eventID)
	}
	if contactID == "" {
		return nil
	}
	_, _, err := handoff.OpenTx(ctx, tx, contactID, handoff.ReasonFallback, d.Detail, m.id, now)
	return err
}

func actor(m *gated) string {
	switch {
	case m.flow != "":
		return "flow:" + m.flow
	case m.origin != "":
		return m.origin
	}
	return OriginAPI
}

func (g *Gate) load(ctx context.Context, id string) (*gated, error) {
	var m gated
	var body []byte
	var origin, category, basis, contactID sql.NullString
	var alt []byte
	var fb sql.NullString
	err := g.cfg.DB.ReadRow(ctx, `SELECT m.status, m.flow, COALESCE(m.event_id,''), m.recipient, m.request,
		g.origin, g.contact_id, g.category, g.lawful_basis, g.alternative, g.fallback, g.deferred_until, g.released_at
		FROM messages m LEFT JOIN gate_messages g ON g.message_id = m.id WHERE m.id = ?`, id).
		Scan(&m.status, &m.flow, &m.eventID, &m.recipient, &body, &origin, &contactID, &category, &basis, &alt, &fb, &m.deferredUntil, &m.releasedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, deadletter.Permanent(fmt.Errorf("gate %s: %w", id, delivery.ErrNotFound))
	}
	if err != nil {
		return nil, fmt.Errorf("gate %s: load: %w", id, err)
	}
	m.id = id
	m.hasMeta = origin.Valid
	m.origin, m.contactID, m.category, m.basis = origin.String, contactID.String, category.String, basis.String
	if err := json.Unmarshal(body, &m.request); err != nil {
		return nil, deadletter.Permanent(fmt.Errorf("gate %s: stored request: %w", id, err))
	}
	if len(alt) > 0 {
		m.alternative = new(whatsapp.SendRequest)
		if err := json.Unmarshal(alt, m.alternative); err != nil {
			return nil, deadletter.Permanent(fmt.Errorf("gate %s: stored alternative: %w", id, err))
		}
	}
	if fb.Valid && fb.String != "" {
		m.fallback = new(FallbackAction)
		if err := json.Unmarshal([]byte(fb.String), m.fallback); err != nil {
			return nil, deadletter.Permanent(fmt.Errorf("gate %s: stored fallback: %w", id, err))
		}
	}
	return &m, nil
}

// message builds Decide's view of a loaded message, resolving its
// templates.
func (g *Gate) message(ctx context.Context, m *gated) Message {
	in := Message{
		ID: m.id, Origin: m.origin, Flow: m.flow, Kind: m.request.Type, Category: m.category, LawfulBasis: m.basis,
		Alternative: m.alternative, FallbackAction: m.fallback,
	}
	if in.Origin == "" {
		in.Origin = OriginAPI
	}
	if in.Kind == "template" && m.request.Template != nil {
		v, err := g.check(ctx, m.request.Template)
		in.Template, in.TemplateErr = v, err
		if v == nil && in.Category == "" {
			in.Category = g.cfg.Templates.Category(ctx, m.request.Template.Name)
		}
	} else if in.Kind == "template" {
		in.TemplateErr = fmt.Errorf("%w: a template message without its template object", templates.ErrParams)
	}
	if m.alternative != nil && m.alternative.Template != nil {
		in.AltVariant, in.AltErr = g.check(ctx, m.alternative.Template)
	}
	return in
}

// check resolves the variant a template request names and validates the
// request against it.
func (g *Gate) check(ctx context.Context, t *whatsapp.Template) (*templates.Variant, error) {
	v, err := g.cfg.Templates.Variant(ctx, t.Name, t.Language.Code)
	if err != nil {
		return nil, err
	}
	if err := v.Check(t); err != nil {
		return &v, err
	}
	return &v, nil
}

// facts gathers what the gate knows of the recipient.
func (g *Gate) facts(ctx context.Context, q contacts.Query, contactID, recipient string, now time.Time, r Rules) (Facts, error) {
	f := Facts{Now: now, Location: g.cfg.DefaultZone, Consent: consent.State{}}
	if g.cfg.Pairs != nil && recipient != "" {
		f.PairAt = g.cfg.Pairs.Peek(pairKey(recipient), now)
	}
	if contactID == "" {
		if zone := contacts.PhoneTimeZone(recipient); zone != "" {
			if loc := contacts.LoadLocation(zone); loc != nil {
				f.Location = loc
			}
		}
		return f, nil
	}
	// One row says what is cheap to know; the ledger is read only when the
	// contact has records (or merged contacts that may have some).
	var phone, zone sql.NullString
	var last, closes, entry sql.NullInt64
	var paused, merged, ledger bool
	err := g.cfg.DB.ReadRow(ctx, `SELECT c.phone, c.time_zone, w.last_inbound_at, w.closes_at, w.entry_point_until,
		EXISTS(SELECT 1 FROM agent_queue q WHERE q.contact_id = c.id AND q.state <> 'closed'),
		EXISTS(SELECT 1 FROM contacts m WHERE m.merged_into = c.id),
		EXISTS(SELECT 1 FROM consent_records r WHERE r.contact_id = c.id)
		FROM contacts c LEFT JOIN windows w ON w.contact_id = c.id WHERE c.id = ?`, contactID).
		Scan(&phone, &zone, &last, &closes, &entry, &paused, &merged, &ledger)
	if err != nil {
		return f, fmt.Errorf("contact %s: %w", contactID, err)
	}
	f.Paused = paused
	if closes.Valid {
		f.Window = window.StateOf(last.Int64, closes.Int64, entry.Int64, now)
	}
	if ledger || merged {
		if f.Consent, err = consent.Current(ctx, q, contactID, now); err != nil {
			return f, err
		}
	}
	c := contacts.Contact{Phone: phone.String, TimeZone: zone.String}
	if c.Phone == "" {
		c.Phone = recipient
	}
	f.Location = c.Location(g.cfg.DefaultZone)
	sent := map[string][]time.Time{}
	for _, category := range consent.Purposes {
		if len(r.Caps.For(category)) == 0 || r.Transactional[category] {
			continue
		}
		if sent[category], err = sentTimes(ctx, q, contactID, category, now.Add(-r.Caps.Longest(category))); err != nil {
			return f, err
		}
	}
	f.Sent = func(category string) []time.Time { return sent[category] }
	return f, nil
}

// sentTimes returns when messages of category were released to the
// contact since since.
func sentTimes(ctx context.Context, q contacts.Query, contactID, category string, since time.Time) ([]time.Time, error) {
	if contactID == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT released_at FROM gate_messages WHERE contact_id = ? AND category = ? AND released_at > ?`,
		contactID, category, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sends to %s: %w", contactID, err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			return nil, err
		}
		out = append(out, time.UnixMilli(ms))
	}
	return out, rows.Err()
}

// MergeTx moves a merged contact's messages onto the contact it was merged
// into, so caps count them; it is a contacts.MergeHook.
func MergeTx(ctx context.Context, tx *store.Tx, from, into string) error {
	_, err := tx.Exec(ctx, `UPDATE gate_messages SET contact_id = ? WHERE contact_id = ?`, into, from)
	return err
}

func pairKey(recipient string) string { return recipient }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
