package delivery

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/store"
)

// deadLetter dead-letters the send of message id as the pipeline does
// (DeadLetterHook in the same transaction) and returns the letter's id.
func deadLetter(t *testing.T, db *store.DB, s *Store, id string) int64 {
	t.Helper()
	m := message.NewMessage("u-"+id, []byte(id))
	m.Metadata.Set(middleware.PoisonedTopicKey, "outbox")
	m.Metadata.Set(middleware.ReasonForPoisonedKey, "send "+id+": 503")
	if err := deadletter.NewSink(db, map[string]deadletter.Hook{"outbox": s.DeadLetterHook}).Publish("dead_letters", m); err != nil {
		t.Fatal(err)
	}
	var lid int64
	if err := db.Reader().QueryRow(`SELECT max(id) FROM dead_letters`).Scan(&lid); err != nil {
		t.Fatal(err)
	}
	return lid
}

// TestReplaySendsOnce: a message whose send was dead-lettered goes back to
// accepted on replay, is sent once, and a replay of a sent message is
// refused.
func TestReplaySendsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, s := openStore(t)
	q, err := deadletter.NewQueue(deadletter.QueueConfig{DB: db, Replay: map[string]deadletter.ReplayHook{"outbox": s.ReplayHook}})
	if err != nil {
		t.Fatal(err)
	}
	id := newMessage(t, db, s, "+16505551234")
	fc := &fakeClient{err: apiErr(131000)}
	snd := NewSender(s, fc, slog.New(slog.DiscardHandler))
	if err := snd.Handle(message.NewMessage("u1", []byte(id))); err == nil {
		t.Fatal("Handle with a transient error returned nil")
	}
	letter := deadLetter(t, db, s, id)
	m, _ := s.Get(ctx, id)
	if m.Status != StateFailed || len(m.History) != 2 {
		t.Fatalf("dead-lettered message = %s with history %+v; want failed", m.Status, m.History)
	}

	if _, err := q.Replay(ctx, letter); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	m, _ = s.Get(ctx, id)
	if m.Status != StateAccepted || m.Error != nil || len(m.History) != 1 || m.Attempts != 2 {
		t.Fatalf("replayed message = %+v; want accepted, no error, history [accepted], 2 attempts kept", m)
	}
	fc.err = nil
	for range 2 { // the replay, then a redelivery of it
		if err := snd.Handle(message.NewMessage("u2", []byte(id))); err != nil {
			t.Fatalf("Handle after replay: %v", err)
		}
	}
	if n := fc.calls.Load(); n != 2 {
		t.Errorf("client called %d times; want 2 (the failed attempt, then one send)", n)
	}

	// The message is sent now: a later dead letter for it is not replayed.
	again := deadLetter(t, db, s, id)
	if _, err := q.Replay(ctx, again); !errors.Is(err, deadletter.ErrNotReplayable) {
		t.Errorf("replay of a sent message: %v; want ErrNotReplayable", err)
	}
}

func TestReplayHookRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, s := openStore(t)
	accepted := newMessage(t, db, s, "+16505551234")
	cases := map[string]string{"message not failed": accepted, "no such message": "msg_missing"}
	for name, id := range cases {
		err := db.Write(ctx, func(tx *store.Tx) error {
			return s.ReplayHook(ctx, tx, &deadletter.Letter{Topic: "outbox", Payload: id})
		})
		if !errors.Is(err, deadletter.ErrNotReplayable) {
			t.Errorf("%s: %v; want ErrNotReplayable", name, err)
		}
	}
}
