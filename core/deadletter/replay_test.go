package deadletter_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "parley.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// poison stores a dead letter as the pipeline's poison queue does and
// returns its id.
func poison(t *testing.T, db *store.DB, topic, payload, reason string) int64 {
	t.Helper()
	m := message.NewMessage("uuid-"+payload, []byte(payload))
	m.Metadata.Set(middleware.PoisonedTopicKey, topic)
	m.Metadata.Set(middleware.PoisonedHandlerKey, "h")
	m.Metadata.Set(middleware.PoisonedSubscriberKey, "s")
	m.Metadata.Set(middleware.ReasonForPoisonedKey, reason)
	m.Metadata.Set(middleware.CorrelationIDMetadataKey, "corr-"+payload)
	if err := deadletter.NewSink(db, nil).Publish("dead_letters", m); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Reader().QueryRow(`SELECT max(id) FROM dead_letters`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

type published struct {
	Topic, Payload, Metadata string
}

func publishedOn(t *testing.T, db *store.DB) []published {
	t.Helper()
	rows, err := db.Reader().Query(`SELECT topic, payload, metadata FROM pubsub_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []published
	for rows.Next() {
		var p published
		var payload []byte
		if err := rows.Scan(&p.Topic, &payload, &p.Metadata); err != nil {
			t.Fatal(err)
		}
		p.Payload = string(payload)
		out = append(out, p)
	}
	return out
}

func newQueue(t *testing.T, db *store.DB, hooks map[string]deadletter.ReplayHook) *deadletter.Queue {
	t.Helper()
	q, err := deadletter.NewQueue(deadletter.QueueConfig{DB: db, Replay: hooks, Now: func() time.Time { return time.UnixMilli(1_800_000_000_000) }})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	var hooked []string
	q := newQueue(t, db, map[string]deadletter.ReplayHook{
		"outbox": func(ctx context.Context, tx *store.Tx, l *deadletter.Letter) error {
			hooked = append(hooked, l.Payload)
			return nil
		},
	})
	id := poison(t, db, "outbox", "msg_1", "send msg_1: 503")

	l, err := q.Replay(ctx, id)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if l.ReplayedAt == nil || !l.ReplayedAt.Equal(time.UnixMilli(1_800_000_000_000)) || l.Reason != "send msg_1: 503" || l.Topic != "outbox" {
		t.Errorf("Replay returned %+v", l)
	}
	got := publishedOn(t, db)
	want := []published{{Topic: "outbox", Payload: "msg_1",
		Metadata: fmt.Sprintf(`{"correlation_id":"corr-msg_1","dead_letter_id":"%d","replay_of":"uuid-msg_1"}`, id)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"msg_1"}, hooked); diff != "" {
		t.Errorf("hook calls (-want +got):\n%s", diff)
	}
	stored, err := q.Get(ctx, id)
	if err != nil || stored.ReplayedAt == nil {
		t.Fatalf("Get after replay = %+v, %v; want replayed_at set", stored, err)
	}

	// Once only: the second replay is refused and publishes nothing.
	if _, err := q.Replay(ctx, id); !errors.Is(err, deadletter.ErrReplayed) {
		t.Errorf("second Replay error = %v; want ErrReplayed", err)
	}
	if n := len(publishedOn(t, db)); n != 1 {
		t.Errorf("%d messages published after two replays; want 1", n)
	}
	if len(hooked) != 1 {
		t.Errorf("hook ran %d times; want 1", len(hooked))
	}
}

func TestReplayConcurrentOnce(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	q := newQueue(t, db, map[string]deadletter.ReplayHook{"events": nil})
	id := poison(t, db, "events", "evt_1", "boom")
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = q.Replay(context.Background(), id) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, deadletter.ErrReplayed):
			t.Errorf("Replay: %v", err)
		}
	}
	if ok != 1 || len(publishedOn(t, db)) != 1 {
		t.Errorf("%d replays succeeded and %d messages were published; want 1 and 1", ok, len(publishedOn(t, db)))
	}
}

func TestReplayRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	boom := errors.New("disk on fire")
	q := newQueue(t, db, map[string]deadletter.ReplayHook{
		"outbox": func(ctx context.Context, tx *store.Tx, l *deadletter.Letter) error {
			// A hook's writes are undone with the refusal.
			if _, err := tx.Exec(ctx, `UPDATE dead_letters SET reason = 'changed'`); err != nil {
				return err
			}
			return fmt.Errorf("message %s was sent: %w", l.Payload, deadletter.ErrNotReplayable)
		},
		"webhooks.whatsapp": func(context.Context, *store.Tx, *deadletter.Letter) error { return boom },
	})
	outbox := poison(t, db, "outbox", "msg_2", "r")
	unknown := poison(t, db, "connectors.webhooks", "7", "r")
	failing := poison(t, db, "webhooks.whatsapp", "8", "r")
	cases := []struct {
		name string
		id   int64
		want error
	}{
		{"hook refuses", outbox, deadletter.ErrNotReplayable},
		{"topic takes no replays", unknown, deadletter.ErrNotReplayable},
		{"hook fails", failing, boom},
		{"no such letter", 999, deadletter.ErrNotFound},
	}
	for _, tc := range cases {
		if _, err := q.Replay(ctx, tc.id); !errors.Is(err, tc.want) {
			t.Errorf("%s: Replay error = %v; want %v", tc.name, err, tc.want)
		}
	}
	if got := publishedOn(t, db); len(got) != 0 {
		t.Errorf("refused replays published %v", got)
	}
	letters, _, err := q.List(ctx, deadletter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range letters {
		if l.ReplayedAt != nil || l.Reason != "r" {
			t.Errorf("letter %d changed by a refused replay: %+v", l.ID, l)
		}
	}
	if !q.Replayable("outbox") || q.Replayable("connectors.webhooks") {
		t.Error("Replayable gives wrong answers")
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	q := newQueue(t, db, map[string]deadletter.ReplayHook{"events": nil, "outbox": nil})
	var ids []int64
	for i := range 5 {
		topic := "events"
		if i%2 == 1 {
			topic = "outbox"
		}
		ids = append(ids, poison(t, db, topic, fmt.Sprint("p", i), fmt.Sprint("reason ", i)))
	}
	if _, err := q.Replay(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	cases := []struct {
		name     string
		f        deadletter.Filter
		want     []int64
		wantNext int64
	}{
		{"all, newest first", deadletter.Filter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}, 0},
		{"one topic", deadletter.Filter{Topic: "outbox"}, []int64{ids[3], ids[1]}, 0},
		{"not replayed", deadletter.Filter{Topic: "events", Replayed: &no}, []int64{ids[4], ids[2]}, 0},
		{"replayed", deadletter.Filter{Replayed: &yes}, []int64{ids[0]}, 0},
		{"first page", deadletter.Filter{Limit: 2}, []int64{ids[4], ids[3]}, ids[3]},
		{"next page", deadletter.Filter{Limit: 2, Before: ids[3]}, []int64{ids[2], ids[1]}, ids[1]},
	}
	for _, tc := range cases {
		letters, next, err := q.List(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, l := range letters {
			got = append(got, l.ID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || next != tc.wantNext {
			t.Errorf("%s: ids (-want +got):\n%s\nnext = %d, want %d", tc.name, diff, next, tc.wantNext)
		}
	}
	l, err := q.Get(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if l.Topic != "outbox" || l.Payload != "p1" || l.Reason != "reason 1" || l.Handler != "h" || l.Metadata["correlation_id"] != "corr-p1" {
		t.Errorf("Get = %+v", l)
	}
	if _, err := q.Get(ctx, 999); !errors.Is(err, deadletter.ErrNotFound) {
		t.Errorf("Get(999) error = %v; want ErrNotFound", err)
	}
}
