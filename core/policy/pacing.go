package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/guard"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Pacing is the send stage's side of the gate (it implements
// delivery.Guard): the business number's pace before each send, the
// back-off after throttling answers, and the consent consequences of a
// 131050. It is safe for concurrent use.
type Pacing struct {
	db     *store.DB
	number *guard.Pacer // nil: no number pacing
	pairs  *guard.Pairs // nil: no pair back-off
	now    func() time.Time
}

// NewPacing returns the send stage's guard. number or pairs may be nil.
func NewPacing(db *store.DB, number *guard.Pacer, pairs *guard.Pairs) *Pacing {
	return &Pacing{db: db, number: number, pairs: pairs, now: time.Now}
}

// WithClock makes p read the time from now (tests), and returns p.
func (p *Pacing) WithClock(now func() time.Time) *Pacing {
	p.now = now
	return p
}

// Wait blocks until the business number may send one more message.
func (p *Pacing) Wait(ctx context.Context, _ string, _ *whatsapp.SendRequest) error {
	if p.number == nil {
		return nil
	}
	return p.number.Wait(ctx)
}

// Sent ends the recipient's pair back-off.
func (p *Pacing) Sent(_ string, req *whatsapp.SendRequest) {
	if p.pairs != nil {
		p.pairs.Sent(pairKey(req.To))
	}
}

// Failed handles the platform's answers that concern the gate:
//   - 130429 (number throughput): every send pauses for the suggested wait
//     and the pace drops; the message is retried as usual.
//   - 131056 (pair limit): the recipient backs off (4^n s) and the message
//     is deferred durably to then, with a decision recorded, so it holds
//     up no other recipient's message; it is taken over (true).
//   - 131050 (the user stopped marketing): a marketing opt-out is recorded
//     in the ledger (source platform); the message fails as usual.
func (p *Pacing) Failed(ctx context.Context, id string, req *whatsapp.SendRequest, err error) (bool, error) {
	var api *whatsapp.APIError
	if !errors.As(err, &api) {
		return false, nil
	}
	now := p.now()
	switch api.Graph.Code {
	case 130429:
		if p.number != nil {
			p.number.Throttled(max(api.Wait(0), time.Second))
		}
	case 131056:
		if p.pairs == nil {
			return false, nil
		}
		at := p.pairs.Throttled(pairKey(req.To), now)
		werr := p.db.Write(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE gate_messages SET released_at = NULL, deferred_until = ? WHERE message_id = ?`, at.UnixMilli(), id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errNoGate
			}
			var contactID, category, basis string
			if err := tx.QueryRow(ctx, `SELECT COALESCE(contact_id,''), category, lawful_basis FROM gate_messages WHERE message_id = ?`, id).Scan(&contactID, &category, &basis); err != nil {
				return err
			}
			d := Decision{Outcome: DeferUntil, Reason: ReasonPairThrottled, Purpose: category, LawfulBasis: basis, DeferUntil: at.UTC(),
				Detail: "the platform answered 131056 (pair rate limit); deferred until " + at.UTC().Format(time.RFC3339)}
			if d.LawfulBasis == "" {
				d.LawfulBasis = consent.BasisLegitimateInterests
			}
			return recordTx(ctx, tx, id, contactID, "send", d, now)
		})
		if errors.Is(werr, errNoGate) {
			return false, nil // not gated (a test, an old message): retry as usual
		}
		if werr != nil {
			return false, fmt.Errorf("defer %s after 131056: %w", id, werr)
		}
		return true, nil
	case 131050:
		return false, RecordPlatformOptOut(ctx, p.db, id, req.To, "sync:"+id, now)
	}
	return false, nil
}

var errNoGate = errors.New("message not gated")

// RecordPlatformOptOut records in the ledger that the recipient of message
// id stopped marketing messages (a 131050 from the platform, synchronous or
// in a failed status), once per key.
func RecordPlatformOptOut(ctx context.Context, db *store.DB, messageID, recipient, key string, now time.Time) error {
	return db.Write(ctx, func(tx *store.Tx) error { return PlatformOptOutTx(ctx, tx, messageID, recipient, key, now) })
}

// PlatformOptOutTx is RecordPlatformOptOut inside tx.
func PlatformOptOutTx(ctx context.Context, tx *store.Tx, messageID, recipient, key string, now time.Time) error {
	var contactID string
	_ = tx.QueryRow(ctx, `SELECT COALESCE(contact_id,'') FROM gate_messages WHERE message_id = ?`, messageID).Scan(&contactID)
	if contactID == "" && recipient != "" {
		contactID, _ = contacts.Find(ctx, contacts.InTx(tx), contacts.KindPhone, recipient)
	}
	if contactID == "" {
		return nil
	}
	_, err := consent.RecordTx(ctx, tx, consent.Record{
		ContactID: contactID, Channel: consent.ChannelWhatsApp, Purpose: consent.Marketing, Status: consent.OptOut,
		LawfulBasis: consent.BasisConsent, Source: consent.SourcePlatform, Actor: "platform", EffectiveAt: now,
		Evidence:  []byte(fmt.Sprintf(`{"code":131050,"message_id":%q}`, messageID)),
		DedupeKey: "platform:131050:" + key,
	}, now)
	return err
}

// StatusHookTx is the inbox's status hook: a failed status with error
// 131050 (the user stopped marketing messages) records a marketing opt-out
// for the message's contact, once per wamid.
func StatusHookTx(ctx context.Context, tx *store.Tx, st whatsapp.Status) error {
	if st.Status != "failed" {
		return nil
	}
	for _, e := range st.Errors {
		if e.Code != 131050 {
			continue
		}
		var id, recipient string
		err := tx.QueryRow(ctx, `SELECT id, recipient FROM messages WHERE wamid = ?`, st.ID).Scan(&id, &recipient)
		if err != nil {
			return nil // not Parley's message, or not recorded yet: nothing to attribute
		}
		at := time.Now()
		if sec, err := whatsapp.UnixString(st.Timestamp); err == nil {
			at = time.Unix(sec, 0)
		}
		return PlatformOptOutTx(ctx, tx, id, recipient, st.ID, at)
	}
	return nil
}
