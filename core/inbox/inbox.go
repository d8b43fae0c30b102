package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Inbox stores webhook bodies and applies them. It implements
// whatsapp.Sink and is safe for concurrent use.
type Inbox struct {
	db       *store.DB
	messages *delivery.Store
	topic    string
	inbound  string // topic announcing customers' messages; "" for none
	onStatus StatusHook
	observer StatusObserver // told of applied statuses after the commit; nil for none
	log      *slog.Logger
	now      func() time.Time
}

// New returns an Inbox that enqueues stored bodies on topic.
func New(db *store.DB, messages *delivery.Store, topic string, log *slog.Logger) *Inbox {
	return &Inbox{db: db, messages: messages, topic: topic, log: log, now: time.Now}
}

// Accept stores a verified webhook body and enqueues it, in one
// transaction; it returns after the commit, so the receiver may answer 200.
func (in *Inbox) Accept(ctx context.Context, raw []byte, receivedAt time.Time) error {
	return in.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO webhook_inbox(received_at, body) VALUES (?, ?)`, receivedAt.UnixMilli(), raw)
		if err != nil {
			return fmt.Errorf("store webhook: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("store webhook: %w", err)
		}
		return pubsub.PublishTx(tx, in.topic, message.NewMessage(watermill.NewUUID(), []byte(strconv.FormatInt(id, 10))))
	})
}

// Reject keeps a refused webhook body (for example a forged signature) with
// the reason. Nothing else happens to it.
func (in *Inbox) Reject(ctx context.Context, raw []byte, reason string) error {
	return ingest.Reject(ctx, in.db, "webhook", raw, reason, in.now())
}

// Handle is the Watermill handler of the webhooks topic; the payload is the
// inbox row id. A body that does not parse is marked dead and dead-lettered
// with the parser's reason (the raw body stays in the inbox). Applying is
// idempotent, so a redelivery is harmless.
func (in *Inbox) Handle(msg *message.Message) error {
	ctx := msg.Context()
	id, err := strconv.ParseInt(string(msg.Payload), 10, 64)
	if err != nil {
		return deadletter.Permanent(fmt.Errorf("webhook inbox id %q: %w", msg.Payload, err))
	}
	var raw []byte
	var state string
	if err := in.db.ReadRow(ctx, `SELECT body, state FROM webhook_inbox WHERE id = ?`, id).Scan(&raw, &state); err != nil {
		return fmt.Errorf("webhook %d: load: %w", id, err)
	}
	if state != "pending" {
		return nil
	}
	n, perr := whatsapp.Parse(raw)
	if perr != nil {
		reason := perr.Error()
		if err := in.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE webhook_inbox SET state = 'dead', reason = ? WHERE id = ?`, reason, id)
			return err
		}); err != nil {
			return err
		}
		return deadletter.Permanent(fmt.Errorf("webhook %d: %w", id, perr))
	}
	sts := make([]whatsapp.Status, len(n.Statuses))
	for i, st := range n.Statuses {
		sts[i] = st.Status
	}
	statuses, err := delivery.PrepareStatuses(sts)
	if err != nil {
		return deadletter.Permanent(fmt.Errorf("webhook %d: %w", id, err))
	}
	now := in.now().UnixMilli()
	err = in.db.Write(ctx, func(tx *store.Tx) error {
		if err := in.messages.ApplyStatusesTx(ctx, tx, statuses); err != nil {
			return err
		}
		if in.onStatus != nil {
			for _, st := range sts {
				if err := in.onStatus(ctx, tx, st); err != nil {
					return err
				}
			}
		}
		for _, m := range n.Inbound {
			if err := insertInboundTx(ctx, tx, m, now); err != nil {
				return err
			}
			if err := in.announceTx(tx, m); err != nil {
				return err
			}
		}
		for _, t := range n.TemplateUpdates {
			if err := upsertTemplateTx(ctx, tx, t, now); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE webhook_inbox SET state = 'processed' WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook %d: apply: %w", id, err)
	}
	in.observe(sts)
	return nil
}
