package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Transcripts renders the recent WhatsApp conversation with a contact: the
// customer's messages (inbound_messages) and the business's (messages),
// merged in time order. It is safe for concurrent use.
type Transcripts struct {
	db        *store.DB
	templates []config.Template
	// Limit is the most messages shown, the newest; Window how far back
	// they are looked for.
	Limit  int
	Window time.Duration
	now    func() time.Time
}

// NewTranscripts returns Transcripts reading db; templates render the
// bodies of template messages. It shows at most 50 messages of the last 7
// days.
func NewTranscripts(db *store.DB, templates []config.Template) *Transcripts {
	return &Transcripts{db: db, templates: templates, Limit: 50, Window: 7 * 24 * time.Hour, now: time.Now}
}

type line struct {
	at   time.Time
	who  string
	text string
}

// For returns the conversation with phone, oldest first, one line per
// message:
//
//	[2026-05-01 14:03:05 UTC] Customer (Ana): My order arrived damaged
//	[2026-05-01 14:03:09 UTC] Business: Hi Ana, your order 1001 has shipped. Track it: https://...
//
// It is "" when phone is not a phone number or there are no messages.
func (t *Transcripts) For(ctx context.Context, phone string) (string, error) {
	e164, err := contacts.NormalizePhone(phone)
	if err != nil {
		return "", nil
	}
	digits := strings.TrimPrefix(e164, "+")
	since := t.now().Add(-t.Window).UnixMilli()
	var lines []line

	// WhatsApp times a customer's message to the second; Parley's receive
	// time (to the millisecond, like the business's messages) orders it
	// better, unless the webhook came late.
	rows, err := t.db.Reader().QueryContext(ctx, `SELECT CASE WHEN abs(received_at - sent_at) < 60000 THEN received_at ELSE sent_at END AS at,
		COALESCE(profile_name, ''), type, COALESCE(text, '')
		FROM inbound_messages WHERE from_wa_id = ? AND sent_at >= ? ORDER BY sent_at DESC LIMIT ?`, digits, since, t.Limit)
	if err != nil {
		return "", fmt.Errorf("transcript: %w", err)
	}
	for rows.Next() {
		var at int64
		var name, typ, text string
		if err := rows.Scan(&at, &name, &typ, &text); err != nil {
			rows.Close()
			return "", fmt.Errorf("transcript: %w", err)
		}
		who := "Customer"
		if name != "" {
			who += " (" + name + ")"
		}
		if text == "" {
			text = "[" + typ + "]"
		}
		lines = append(lines, line{time.UnixMilli(at), who, text})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("transcript: %w", err)
	}

	rows, err = t.db.Reader().QueryContext(ctx, `SELECT created_at, kind, request FROM messages
		WHERE created_at >= ? AND (recipient IN (?, ?) OR wa_id = ?) ORDER BY created_at DESC LIMIT ?`, since, e164, digits, digits, t.Limit)
	if err != nil {
		return "", fmt.Errorf("transcript: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var kind string
		var req []byte
		if err := rows.Scan(&at, &kind, &req); err != nil {
			return "", fmt.Errorf("transcript: %w", err)
		}
		lines = append(lines, line{time.UnixMilli(at), "Business", t.outbound(kind, req)})
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("transcript: %w", err)
	}

	slices.SortStableFunc(lines, func(a, b line) int { return a.at.Compare(b.at) })
	if len(lines) > t.Limit {
		lines = lines[len(lines)-t.Limit:]
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "[%s] %s: %s\n", l.at.UTC().Format("2006-01-02 15:04:05 MST"), l.who, l.text)
	}
	return b.String(), nil
}

// outbound renders a message the business sent: a text's body, a
// template's body with its parameters filled in (when the template is
// configured), else the kind.
func (t *Transcripts) outbound(kind string, raw []byte) string {
	var req whatsapp.SendRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return "[" + kind + "]"
	}
	switch {
	case req.Text != nil:
		return req.Text.Body
	case req.Template != nil:
		var params []string
		for _, c := range req.Template.Components {
			if c.Type == "body" {
				for _, p := range c.Parameters {
					params = append(params, p.Text)
				}
			}
		}
		for _, tpl := range t.templates {
			if tpl.Name == req.Template.Name && (tpl.Language == req.Template.Language.Code || req.Template.Language.Code == "") {
				body := tpl.Body
				for i, p := range params {
					body = strings.ReplaceAll(body, "{{"+strconv.Itoa(i+1)+"}}", p)
				}
				return body + " (template " + tpl.Name + ")"
			}
		}
		return fmt.Sprintf("[template %s: %s]", req.Template.Name, strings.Join(params, ", "))
	}
	return "[" + kind + "]"
}
