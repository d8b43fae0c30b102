package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/store"
)

func TestDecodeAndStoreTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "parley.db"), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := New(db, "events")
	raw := []byte(`{"type":"order.shipped","source":"shop","id":"1","contact":{"phone":"+16505551234"}}`)

	d, err := e.Decode(raw, "")
	if err != nil || d.Key != "shop:1" || d.Event.Type != "order.shipped" {
		t.Fatalf("Decode = %+v, %v; want key shop:1", d, err)
	}
	var fe *event.FieldError
	if _, err := e.Decode([]byte(`{"type":"x","source":"s"}`), ""); !errors.As(err, &fe) || fe.Field != "id" {
		t.Errorf("Decode without id = %v; want a FieldError for id", err)
	}

	// StoreTx commits with the caller's other writes, or not at all.
	boom := errors.New("boom")
	err = db.Write(ctx, func(tx *store.Tx) error {
		if _, err := e.StoreTx(ctx, tx, d); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var first *Result
	if err := db.Write(ctx, func(tx *store.Tx) error {
		first, err = e.StoreTx(ctx, tx, d)
		return err
	}); err != nil || first.Replayed || first.Code != 202 {
		t.Fatalf("StoreTx = %+v, %v; want a fresh 202", first, err)
	}
	again, err := e.Accept(ctx, raw, "")
	if err != nil || !again.Replayed || string(again.Body) != string(first.Body) {
		t.Errorf("Accept of the same key = %+v, %v; want the first answer replayed", again, err)
	}
	var events, published int
	_ = db.Reader().QueryRow(`SELECT count(*) FROM events`).Scan(&events)
	_ = db.Reader().QueryRow(`SELECT count(*) FROM pubsub_messages WHERE topic = 'events'`).Scan(&published)
	if events != 1 || published != 1 {
		t.Errorf("events = %d, published = %d; want 1 and 1", events, published)
	}
}
