package escalation

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/store"
)

// The event Detector emits.
const (
	// EventType is the type of the event an escalation emits.
	EventType = "conversation.escalated"
	// Source is its source: the customer wrote on WhatsApp.
	Source = "whatsapp"
)

// Config configures a Detector.
type Config struct {
	// DB holds inbound_messages; required.
	DB *store.DB
	// Events stores the escalation events; required.
	Events *ingest.Events
	// Keywords are the messages that ask for a person; none turns the
	// detector into a no-op.
	Keywords []string
	// Log receives a line per escalation; default none.
	Log *slog.Logger
}

// Detector is the handler of the inbound topic. It is safe for concurrent
// use.
type Detector struct {
	cfg      Config
	keywords []string // normalized
}

// New returns a Detector.
func New(cfg Config) *Detector {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	d := &Detector{cfg: cfg}
	for _, k := range cfg.Keywords {
		if k = normalize(k); k != "" {
			d.keywords = append(d.keywords, k)
		}
	}
	return d
}

// Match returns the keyword text is, if any: the whole message must equal
// a keyword, ignoring case, surrounding spaces, repeated inner spaces and
// trailing punctuation ("Agent!", "talk  to a person?"). A keyword inside a
// longer message does not count ("the agent was rude" is no request).
func Match(keywords []string, text string) (string, bool) {
	t := normalize(text)
	if t == "" {
		return "", false
	}
	for _, k := range keywords {
		if normalize(k) == t {
			return k, true
		}
	}
	return "", false
}

func normalize(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	return strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
}

// Handle is the handler of the inbound topic; the payload is a wamid of
// inbound_messages. A text message matching a keyword is stored as a
// conversation.escalated event (source whatsapp, id the wamid, so that a
// redelivery stores nothing new) for the customer's phone; any other
// message is left alone. An unknown wamid is dead-lettered.
func (d *Detector) Handle(msg *message.Message) error {
	if len(d.keywords) == 0 {
		return nil
	}
	ctx := msg.Context()
	wamid := string(msg.Payload)
	var from, name, text sql.NullString
	var sent int64
	err := d.cfg.DB.ReadRow(ctx, `SELECT from_wa_id, profile_name, text, sent_at FROM inbound_messages WHERE wamid = ?`, wamid).
		Scan(&from, &name, &text, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return deadletter.Permanent(fmt.Errorf("inbound %s: not found", wamid))
	}
	if err != nil {
		return fmt.Errorf("inbound %s: load: %w", wamid, err)
	}
	kw, ok := matchNormalized(d.keywords, text.String)
	if !ok || !from.Valid {
		return nil
	}
	ev := map[string]any{
		"type":        EventType,
		"source":      Source,
		"id":          wamid,
		"occurred_at": time.UnixMilli(sent).UTC().Format(time.RFC3339Nano),
		"contact":     map[string]any{"phone": "+" + from.String, "name": name.String},
		"data":        map[string]any{"text": text.String, "keyword": kw, "wamid": wamid},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return deadletter.Permanent(err)
	}
	res, err := d.cfg.Events.Accept(ctx, raw, "")
	var fe *event.FieldError
	if errors.As(err, &fe) {
		return deadletter.Permanent(fmt.Errorf("inbound %s: escalation event refused: %w", wamid, err))
	}
	if err != nil {
		return fmt.Errorf("inbound %s: escalation event: %w", wamid, err)
	}
	if !res.Replayed {
		d.cfg.Log.Info("conversation escalated", "wamid", wamid, "keyword", kw)
	}
	return nil
}

func matchNormalized(keywords []string, text string) (string, bool) {
	t := normalize(text)
	for _, k := range keywords {
		if k == t && t != "" {
			return k, true
		}
	}
	return "", false
}
