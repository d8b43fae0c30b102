package escalation

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/store"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	keywords := []string{"agent", "human", "Talk to a person"}
	tests := []struct {
		name, text, want string
	}{
		{"exact", "agent", "agent"},
		{"case and spaces", "  AGENT ", "agent"},
		{"trailing punctuation", "Human!!", "human"},
		{"inner spaces collapse", "talk  to a\tperson?", "Talk to a person"},
		{"inside a sentence", "the agent was rude", ""},
		{"prefix", "agents", ""},
		{"leading punctuation is kept", "¿agent", ""},
		{"empty", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Match(keywords, tt.text)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Match(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
			}
		})
	}
}

func TestHandle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "parley.db"), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, m := range []struct{ wamid, text string }{{"wamid.1", "Agent."}, {"wamid.2", "where is my order"}} {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO inbound_messages(wamid, phone_number_id, from_wa_id, profile_name, type, text, sent_at, received_at, payload)
				VALUES (?, '1', '16505551234', 'Ana', 'text', ?, 1767225600000, 1767225600100, X'7B7D')`, m.wamid, m.text)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	d := New(Config{DB: db, Events: ingest.New(db, "events"), Keywords: []string{"agent"}})
	for _, wamid := range []string{"wamid.1", "wamid.1", "wamid.2"} { // a redelivery, then another message
		if err := d.Handle(message.NewMessage("u", []byte(wamid))); err != nil {
			t.Fatalf("Handle(%s): %v", wamid, err)
		}
	}
	if err := d.Handle(message.NewMessage("u", []byte("wamid.unknown"))); !deadletter.IsPermanent(err) {
		t.Errorf("Handle(unknown wamid) = %v; want a permanent error", err)
	}
	var n int
	var body string
	if err := db.Reader().QueryRow(`SELECT count(*), max(body) FROM events WHERE type = ? AND source = ?`, EventType, Source).Scan(&n, &body); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d escalation events; want 1", n)
	}
	for _, want := range []string{`"id":"wamid.1"`, `"phone":"+16505551234"`, `"name":"Ana"`, `"keyword":"agent"`, `"text":"Agent."`} {
		if !strings.Contains(body, want) {
			t.Errorf("event %s lacks %s", body, want)
		}
	}
}
