package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
)

// insertInboundTx stores a customer's message once: the wamid is the
// primary key, so a redelivered webhook inserts nothing.
func insertInboundTx(ctx context.Context, tx *store.Tx, it whatsapp.InboundItem, now int64) error {
	m := it.Message
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("inbound %s: %w", m.ID, err)
	}
	sent := now
	if sec, err := whatsapp.UnixString(m.Timestamp); err == nil {
		sent = time.Unix(sec, 0).UnixMilli()
	}
	var text, name string
	switch {
	case m.Text != nil:
		text = m.Text.Body
	case m.Button != nil:
		text = m.Button.Text
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		text = m.Interactive.ButtonReply.Title
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		text = m.Interactive.ListReply.Title
	}
	if it.Contact != nil {
		name = it.Contact.Profile.Name
	}
	_, err = tx.Exec(ctx, `INSERT OR IGNORE INTO inbound_messages(wamid, phone_number_id, from_wa_id, from_user_id, profile_name, type, text, sent_at, received_at, payload)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, m.ID, it.PhoneNumberID, nullable(m.From), nullable(m.FromUserID), nullable(name), m.Type, nullable(text), sent, now, payload)
	if err != nil {
		return fmt.Errorf("inbound %s: %w", m.ID, err)
	}
	return nil
}

// upsertTemplateTx records a template's new status from the platform.
func upsertTemplateTx(ctx context.Context, tx *store.Tx, u whatsapp.TemplateStatusUpdate, now int64) error {
	reason := ""
	if u.Reason != nil {
		reason = *u.Reason
	}
	return templates.UpsertStatusTx(ctx, tx, templates.StatusUpdate{
		Name: u.MessageTemplateName, Language: u.MessageTemplateLanguage, Status: u.Event,
		Category: u.MessageTemplateCategory, ID: u.MessageTemplateID.String(), Reason: reason,
	}, time.UnixMilli(now))
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
