package pubsub

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/parley-hub/parley/core/store"
)

// BenchmarkPublishConsume measures end-to-end throughput: concurrent
// publishers publish b.N messages of 200 bytes, one or 100 per Publish call,
// while one subscriber receives and acks them; msgs/s is b.N over the time
// until the last one was received. Concurrent publishers share commits (see
// store.DB.Write), so throughput grows with them.
//
//	go test -run '^$' -bench PublishConsume -benchtime 100000x ./core/pubsub/
func BenchmarkPublishConsume(b *testing.B) {
	cases := []struct{ publishers, perPublish int }{
		{16, 1},
		{64, 1},
		{16, 100},
	}
	for _, sync := range []string{"FULL", "NORMAL"} {
		for _, c := range cases {
			name := fmt.Sprintf("synchronous=%s/publishers=%d/msgs_per_publish=%d", sync, c.publishers, c.perPublish)
			b.Run(name, func(b *testing.B) { benchPublishConsume(b, sync, c.perPublish, c.publishers) })
		}
	}
}

func benchPublishConsume(b *testing.B, synchronous string, perPublish, publishers int) {
	db := openDB(b, store.Config{Synchronous: synchronous})
	pub, sub := newPubSub(b, db, Config{})
	defer sub.Close()
	const topic = "bench"
	out, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 200)

	b.ResetTimer()
	start := time.Now()
	var claimed atomic.Int64 // messages handed to publishers so far
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for {
				first := claimed.Add(int64(perPublish)) - int64(perPublish)
				if first >= int64(b.N) {
					return
				}
				n := min(int64(perPublish), int64(b.N)-first)
				msgs := make([]*message.Message, n)
				for i := range msgs {
					msgs[i] = message.NewMessage(strconv.FormatInt(first+int64(i), 10), payload)
				}
				if err := pub.Publish(topic, msgs...); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for range b.N {
		select {
		case m := <-out:
			m.Ack()
		case <-time.After(time.Minute):
			b.Fatal("no message for a minute")
		}
	}
	elapsed := time.Since(start)
	wg.Wait()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkWakeLatency publishes one message at a time and waits for the
// subscriber to receive it. The subscriber polls once an hour, so the
// benchmark finishes only because a commit wakes it: ns/op is the
// publish-to-receive latency of an idle subscriber (two commits: the publish
// and the claim).
//
//	go test -run '^$' -bench WakeLatency ./core/pubsub/
func BenchmarkWakeLatency(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			db := openDB(b, store.Config{Synchronous: sync})
			pub, sub := newPubSub(b, db, Config{PollInterval: time.Hour})
			defer sub.Close()
			out, err := sub.Subscribe(context.Background(), "wake")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if err := pub.Publish("wake", message.NewMessage(strconv.Itoa(i), nil)); err != nil {
					b.Fatal(err)
				}
				select {
				case m := <-out:
					m.Ack()
				case <-time.After(10 * time.Second):
					b.Fatal("subscriber not woken by the publish")
				}
			}
		})
	}
}

// BenchmarkWatermillSubscriber is Watermill's own subscriber benchmark: one
// goroutine publishes b.N messages one Publish at a time (one commit each)
// while a subscriber reads them.
func BenchmarkWatermillSubscriber(b *testing.B) {
	tests.BenchSubscriber(b, func(n int) (message.Publisher, message.Subscriber) {
		db := openDB(b, store.Config{})
		return newPubSub(b, db, Config{})
	})
}
