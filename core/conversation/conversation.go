package conversation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/escalation"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/window"
)

// Emitter stores an event inside the caller's transaction, enqueued for
// flows; emitting the same source and id twice stores it once
// (ingest.Events implements it).
type Emitter interface {
	EmitTx(ctx context.Context, tx *store.Tx, ev *event.Event) (string, error)
}

// Config configures the Stage.
type Config struct {
	DB       *store.DB
	Contacts *contacts.Store
	Messages *delivery.Store
	Events   Emitter
	// Keywords are the consent keywords.
	Keywords *consent.Keywords
	// StopPurposes are the purposes a stop keyword opts out of; default
	// marketing.
	StopPurposes []string
	// Escalation are the messages asking for a person (escalation.keywords).
	Escalation []string
	// GateTopic is where keyword confirmations go.
	GateTopic string
	Phones    contacts.Phones
	Now       func() time.Time
	Log       *slog.Logger
}

// Stage is the handler of the inbound topic. It is safe for concurrent use.
type Stage struct{ cfg Config }

// New returns the stage.
func New(cfg Config) *Stage {
	if len(cfg.StopPurposes) == 0 {
		cfg.StopPurposes = []string{consent.Marketing}
	}
	if cfg.Keywords == nil {
		cfg.Keywords = consent.NewKeywords(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Stage{cfg: cfg}
}

// inbound is a customer's message as stored by the inbox.
type inbound struct {
	wamid, waID, userID, name, typ, text string
	sentAt                               time.Time
	msg                                  whatsapp.InboundMessage
}

// Handle applies one customer's message (the payload is its wamid). Every
// effect is idempotent per wamid, so a redelivery changes nothing.
func (s *Stage) Handle(msg *message.Message) error {
	ctx := msg.Context()
	in, err := s.load(ctx, string(msg.Payload))
	if err != nil {
		return err
	}
	if in == nil || in.waID == "" && in.userID == "" {
		return nil // nothing to attribute it to
	}
	now := s.cfg.Now()
	return s.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		pr := contacts.Profile{WaID: in.waID, UserID: in.userID, Name: in.name}
		if in.waID != "" {
			pr.Phone, _ = s.cfg.Phones.Normalize("+" + in.waID)
		}
		cid, err := s.cfg.Contacts.ResolveTx(ctx, tx, pr)
		if err != nil {
			return err
		}
		if err := window.OpenTx(ctx, tx, cid, in.sentAt, len(in.msg.Referral) > 0); err != nil {
			return err
		}
		c, err := contacts.Get(ctx, contacts.InTx(tx), cid)
		if err != nil {
			return err
		}
		if in.typ == "text" || in.typ == "button" {
			if m, ok := s.cfg.Keywords.Match(in.text, c.Locale); ok {
				return s.keywordTx(ctx, tx, in, c, m, now)
			}
			if k, ok := escalation.Match(s.cfg.Escalation, in.text); ok {
				_, _, err := handoff.OpenTx(ctx, tx, cid, handoff.ReasonEscalation, k, in.wamid, now)
				return err
			}
		}
		paused, err := handoff.Paused(ctx, contacts.InTx(tx), cid)
		if err != nil || paused {
			return err // the agent answers; the message stays in inbound_messages
		}
		ev, err := s.event(ctx, tx, in, c)
		if err != nil || ev == nil {
			return err
		}
		_, err = s.cfg.Events.EmitTx(ctx, tx, ev)
		return err
	})
}

// keywordTx records a stop or start keyword in the ledger, once per
// message, and enqueues its confirmation through the gate.
func (s *Stage) keywordTx(ctx context.Context, tx *store.Tx, in *inbound, c *contacts.Contact, m consent.Match, now time.Time) error {
	status := consent.OptOut
	if m.Kind == consent.Start {
		status = consent.OptIn
	}
	evidence, _ := json.Marshal(map[string]string{"wamid": in.wamid, "text": in.text, "keyword": m.Keyword, "locale": m.Locale,
		"sent_at": in.sentAt.UTC().Format(time.RFC3339)})
	recorded := false
	for _, p := range s.cfg.StopPurposes {
		ok, err := consent.RecordTx(ctx, tx, consent.Record{
			ContactID: c.ID, Channel: consent.ChannelWhatsApp, Purpose: p, Status: status, LawfulBasis: consent.BasisConsent,
			Source: consent.SourceKeyword, Evidence: evidence, Actor: "contact", EffectiveAt: in.sentAt,
			DedupeKey: "keyword:" + in.wamid + ":" + p,
		}, now)
		if err != nil {
			return err
		}
		recorded = recorded || ok
	}
	if !recorded || m.Reply == "" || in.waID == "" {
		return nil
	}
	to := "+" + in.waID
	id, created, err := s.cfg.Messages.EnqueueTx(ctx, tx, delivery.NewMessage{
		DedupeKey: "keyword|" + in.wamid + "|" + to + "|0",
		Request: &whatsapp.SendRequest{
			MessagingProduct: whatsapp.MessagingProduct, RecipientType: "individual", To: to, Type: "text",
			Text: &whatsapp.Text{Body: m.Reply},
		},
	}, s.cfg.GateTopic)
	if err != nil || !created {
		return err
	}
	return policy.AttachTx(ctx, tx, id, policy.Meta{
		ContactID: c.ID, Origin: policy.OriginKeyword, Category: consent.Service, LawfulBasis: consent.BasisLegalObligation,
	})
}

// event builds the bot's event for a message: message.reply for a reply
// button, list row or template quick reply (with the flow of the message
// replied to), message.received for anything else.
func (s *Stage) event(ctx context.Context, tx *store.Tx, in *inbound, c *contacts.Contact) (*event.Event, error) {
	phone := c.Phone
	if phone == "" && in.waID != "" {
		phone = "+" + in.waID
	}
	ev := &event.Event{
		Type: config.EventMessageReceived, Source: "whatsapp", ID: in.wamid, OccurredAt: in.sentAt.UTC(),
		Contact: event.Contact{Phone: phone, Name: c.Name, Locale: c.Locale},
		Data:    map[string]any{"wamid": in.wamid, "type": in.typ, "contact_id": c.ID},
	}
	if in.text != "" {
		ev.Data["text"] = in.text
	}
	replyID, replyTitle := "", ""
	switch m := in.msg; {
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		replyID, replyTitle = m.Interactive.ButtonReply.ID, m.Interactive.ButtonReply.Title
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		replyID, replyTitle = m.Interactive.ListReply.ID, m.Interactive.ListReply.Title
	case m.Button != nil:
		replyID, replyTitle = m.Button.Payload, m.Button.Text
	}
	if replyID == "" {
		return ev, nil
	}
	ev.Type = config.EventMessageReply
	ev.Data["reply_id"], ev.Data["reply_title"] = replyID, replyTitle
	if in.msg.Context != nil && in.msg.Context.ID != "" {
		var flow string
		err := tx.QueryRow(ctx, `SELECT flow FROM messages WHERE wamid = ?`, in.msg.Context.ID).Scan(&flow)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("reply %s: menu: %w", in.wamid, err)
		}
		if flow != "" {
			ev.Data["menu_flow"] = flow
		}
		ev.Data["context_wamid"] = in.msg.Context.ID
	}
	return ev, nil
}

func (s *Stage) load(ctx context.Context, wamid string) (*inbound, error) {
	var in inbound
	var wa, user, name, text sql.NullString
	var sent int64
	var payload []byte
	err := s.cfg.DB.ReadRow(ctx, `SELECT from_wa_id, from_user_id, profile_name, type, text, sent_at, payload FROM inbound_messages WHERE wamid = ?`, wamid).
		Scan(&wa, &user, &name, &in.typ, &text, &sent, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inbound %s: %w", wamid, err)
	}
	in.wamid, in.waID, in.userID, in.name, in.text = wamid, wa.String, user.String, name.String, strings.TrimSpace(text.String)
	in.sentAt = time.UnixMilli(sent)
	_ = json.Unmarshal(payload, &in.msg)
	return &in, nil
}
