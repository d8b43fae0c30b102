package pubsub_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
)

func TestDepths(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	depths := func() []pubsub.Depth {
		t.Helper()
		d, err := pubsub.Depths(ctx, db.Reader())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := depths(); len(d) != 0 {
		t.Fatalf("empty database: %v", d)
	}
	sub, err := pubsub.NewSubscriber(db, pubsub.Config{ConsumerGroup: "g", BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	pub, err := pubsub.NewPublisher(db, pubsub.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b", "c", "d", "e"} {
		if err := pub.Publish("t", message.NewMessage(p, []byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	first := <-ch // a batch of 2 is claimed; 3 wait
	want := []pubsub.Depth{{Topic: "t", Group: "g", Unclaimed: 3, Leased: 2}}
	if diff := cmp.Diff(want, depths()); diff != "" {
		t.Errorf("after the first claim (-want +got):\n%s", diff)
	}
	first.Ack()
	for range 4 {
		(<-ch).Ack()
	}
	want = []pubsub.Depth{{Topic: "t", Group: "g"}}
	deadline := time.Now().Add(5 * time.Second)
	for !cmp.Equal(want, depths()) {
		if time.Now().After(deadline) {
			t.Fatalf("after every ack: %+v; want %+v", depths(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
