package connector

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

func TestTranscriptAndInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "parley.db"), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2026, 5, 3, 14, 0, 0, 0, time.UTC)
	at := func(sec int) int64 { return base.Add(time.Duration(sec) * time.Second).UnixMilli() }
	tpl, _ := json.Marshal(whatsapp.SendRequest{To: "+16505551234", Type: "template", Template: &whatsapp.Template{
		Name: "order_shipped", Language: whatsapp.TemplateLanguage{Code: "en_US"},
		Components: []whatsapp.TemplateComponent{{Type: "body", Parameters: []whatsapp.TemplateParameter{{Type: "text", Text: "Ana"}, {Type: "text", Text: "1001"}}}}}})
	text, _ := json.Marshal(whatsapp.SendRequest{To: "+16505551234", Type: "text", Text: &whatsapp.Text{Body: "An agent will write soon."}})
	other, _ := json.Marshal(whatsapp.SendRequest{To: "+16505559999", Type: "text", Text: &whatsapp.Text{Body: "not this customer"}})
	err = db.Write(ctx, func(tx *store.Tx) error {
		for _, m := range []struct {
			id, to string
			req    []byte
			at     int64
		}{{"msg_1", "+16505551234", tpl, at(0)}, {"msg_2", "+16505551234", text, at(30)}, {"msg_3", "+16505559999", other, at(5)}} {
			if _, err := tx.Exec(ctx, `INSERT INTO messages(id, recipient, kind, request, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?)`,
				m.id, m.to, "x", m.req, "sent", m.at, m.at); err != nil {
				return err
			}
		}
		for _, m := range []struct {
			wamid, from, text string
			sent, received    int64
		}{{"w1", "16505551234", "It arrived broken", at(10), at(10) + 400}, {"w2", "16505551234", "agent", at(20), at(20)}, {"w3", "16505559999", "hi", at(21), at(21)}} {
			if _, err := tx.Exec(ctx, `INSERT INTO inbound_messages(wamid, phone_number_id, from_wa_id, profile_name, type, text, sent_at, received_at, payload)
				VALUES (?, '1', ?, 'Ana', 'text', ?, ?, ?, X'7B7D')`, m.wamid, m.from, m.text, m.sent, m.received); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTranscripts(db, []config.Template{{Name: "order_shipped", Language: "en_US", Body: "Hi {{1}}, order {{2}} shipped."}})
	tr.now = func() time.Time { return base.Add(time.Hour) }
	got, err := tr.For(ctx, "+1 (650) 555-1234")
	if err != nil {
		t.Fatal(err)
	}
	want := "[2026-05-03 14:00:00 UTC] Business: Hi Ana, order 1001 shipped. (template order_shipped)\n" +
		"[2026-05-03 14:00:10 UTC] Customer (Ana): It arrived broken\n" +
		"[2026-05-03 14:00:20 UTC] Customer (Ana): agent\n" +
		"[2026-05-03 14:00:30 UTC] Business: An agent will write soon.\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if s, err := tr.For(ctx, "not a phone"); s != "" || err != nil {
		t.Errorf("For(not a phone) = %q, %v; want empty", s, err)
	}

	c := &Connectors{transcripts: tr}
	ev := &event.Event{Type: "conversation.escalated", ID: "w2", Contact: event.Contact{Phone: "+16505551234", Name: "Ana"}, Data: map[string]any{"keyword": "agent"}}
	in, err := c.renderInput(ctx, map[string]string{"subject": "{{ contact.name }} said {{data.keyword}}", "comment": "{{transcript}}", "missing": "[{{data.nope}}]"}, ev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"subject": "Ana said agent", "comment": want, "missing": "[]"}, in); diff != "" {
		t.Errorf("renderInput (-want +got):\n%s", diff)
	}
}
