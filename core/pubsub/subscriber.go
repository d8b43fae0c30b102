package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/store"
)

// finishTimeout bounds the final write of a consume loop that is stopping
// (flush acks, release leases), which runs after its context is cancelled.
const finishTimeout = 5 * time.Second

// Subscriber consumes messages from the store for one consumer group; it
// implements message.Subscriber and message.SubscribeInitializer. It is safe
// for concurrent use. Each Subscribe call starts one consume loop; several
// loops on the same topic and group (in this process or others) share the
// topic's messages.
type Subscriber struct {
	db   *store.DB
	cfg  Config
	bell *doorbell

	closing context.Context // cancelled by Close; parent of every loop
	close   context.CancelFunc

	mu     sync.Mutex // guards closed and loops.Add
	closed bool
	loops  sync.WaitGroup
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

// NewSubscriber returns a Subscriber reading from db for cfg.ConsumerGroup.
// It starts nothing until Subscribe is called.
func NewSubscriber(db *store.DB, cfg Config) (*Subscriber, error) {
	if db == nil {
		return nil, errors.New("pubsub: NewSubscriber: nil *store.DB")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	closing, cancel := context.WithCancel(context.Background())
	return &Subscriber{db: db, cfg: cfg, bell: doorbellFor(db), closing: closing, close: cancel}, nil
}

// SubscribeInitialize registers the consumer group for topic without
// consuming: from then on the topic's messages are kept until the group has
// acked them.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	if topic == "" {
		return ErrEmptyTopic
	}
	return s.register(context.Background(), queue{topic: topic, group: s.cfg.ConsumerGroup})
}

func (s *Subscriber) register(ctx context.Context, q queue) error {
	err := s.db.Write(ctx, func(tx *store.Tx) error { return q.register(ctx, tx) })
	if err != nil {
		return fmt.Errorf("pubsub: register group %q for topic %q: %w", q.group, q.topic, err)
	}
	return nil
}

// Subscribe registers the consumer group for topic (see SubscribeInitialize)
// and returns the channel its messages arrive on, oldest first. The next
// message is sent only once the previous one was acked; a nacked message is
// sent again after Config.NackDelay. Each message's context is derived from
// ctx and is cancelled once the message is acked or nacked.
//
// The channel is closed when ctx is cancelled or Close is called; the
// messages claimed but not acked by then are released for redelivery.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if topic == "" {
		return nil, ErrEmptyTopic
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.loops.Add(1)
	s.mu.Unlock()

	q := queue{topic: topic, group: s.cfg.ConsumerGroup}
	if err := s.register(ctx, q); err != nil {
		s.loops.Done()
		return nil, err
	}
	out := make(chan *message.Message)
	loopCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	go func() {
		defer s.loops.Done()
		defer close(out)
		defer stop()
		defer cancel()
		c := consumer{
			db:   s.db,
			cfg:  s.cfg,
			bell: s.bell,
			q:    q,
			out:  out,
			log:  s.cfg.Logger.With(watermill.LogFields{"topic": topic, "consumer_group": q.group}),
		}
		c.run(loopCtx)
	}()
	return out, nil
}

// Close stops every consume loop, releases the messages they hold and closes
// their channels. It returns once all loops have stopped. The store.DB stays
// open: its owner closes it, after the Subscriber.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.close()
	s.loops.Wait()
	return nil
}

// consumer is the consume loop of one Subscribe call.
type consumer struct {
	db   *store.DB
	cfg  Config
	bell *doorbell
	q    queue
	out  chan<- *message.Message
	log  watermill.LoggerAdapter

	acked []int64 // acked ids not yet written; flushed with the next write
	until int64   // the lease expiry of the current batch (Unix ms)
}

// run claims batches and hands their messages out until ctx is done.
func (c *consumer) run(ctx context.Context) {
	poll := time.NewTicker(c.cfg.PollInterval)
	defer poll.Stop()
	for {
		// Take the doorbell before looking, so a publish that commits
		// after the claim still wakes us.
		bell := c.bell.wait(c.q.topic)
		batch, err := c.claim(ctx)
		if len(batch) > 0 {
			if rest := c.handle(ctx, batch); rest != nil {
				c.finish(rest)
				return
			}
			continue
		}
		switch {
		case ctx.Err() != nil:
			c.finish(nil)
			return
		case errors.Is(err, store.ErrClosed):
			c.log.Error("Store closed before the subscriber; unacked messages will be redelivered after their lease", err, nil)
			return
		case err != nil:
			c.log.Error("Cannot claim messages, retrying after the poll interval", err, nil)
		}
		select {
		case <-bell:
		case <-poll.C:
		case <-ctx.Done():
			c.finish(nil)
			return
		}
	}
}

// claim writes the pending acks and leases the next batch.
func (c *consumer) claim(ctx context.Context) ([]stored, error) {
	var batch []stored
	now := time.Now()
	until := now.Add(c.cfg.LeaseTimeout).UnixMilli()
	err := c.db.Write(ctx, func(tx *store.Tx) error {
		if len(c.acked) > 0 {
			if err := c.q.ack(ctx, tx, c.acked); err != nil {
				return err
			}
			if err := purge(ctx, tx, c.q.topic); err != nil {
				return err
			}
		}
		var err error
		batch, err = c.q.claim(ctx, tx, c.cfg.BatchSize, now.UnixMilli(), until)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pubsub: claim from topic %q: %w", c.q.topic, err)
	}
	c.acked = c.acked[:0]
	c.until = until
	return batch, nil
}

// handle sends the messages of batch one at a time, each after the previous
// one was acked. It returns nil when the batch is done, or the ids of the
// messages it did not finish when ctx was cancelled.
func (c *consumer) handle(ctx context.Context, batch []stored) (rest []int64) {
	renewAt := time.Now().Add(c.cfg.LeaseTimeout / 3)
	for i := 0; i < len(batch); {
		if time.Now().After(renewAt) {
			c.renew(ctx, idsOf(batch[i:]))
			renewAt = time.Now().Add(c.cfg.LeaseTimeout / 3)
		}
		switch c.deliver(ctx, batch[i]) {
		case acked:
			c.acked = append(c.acked, batch[i].id)
			i++
		case nacked:
			if !sleep(ctx, c.cfg.NackDelay) {
				return idsOf(batch[i:])
			}
		case stopped:
			return idsOf(batch[i:])
		}
	}
	return nil
}

type outcome int

const (
	acked outcome = iota
	nacked
	stopped
)

// deliver sends m on the output channel and waits for its ack or nack.
func (c *consumer) deliver(ctx context.Context, m stored) outcome {
	// A fresh copy per delivery: a handler may modify the payload it got,
	// and a nack must redeliver the original.
	msg := message.NewMessage(m.uuid, slices.Clone(m.payload))
	if err := json.Unmarshal([]byte(m.metadata), &msg.Metadata); err != nil {
		c.log.Error("Cannot decode message metadata, delivering without it", err,
			watermill.LogFields{"message_uuid": m.uuid})
	}
	msgCtx, cancel := context.WithCancel(ctx)
	defer cancel() // Watermill: acking or nacking cancels the message context.
	msg.SetContext(msgCtx)

	select {
	case c.out <- msg:
	case <-ctx.Done():
		return stopped
	}
	select {
	case <-msg.Acked():
		return acked
	case <-msg.Nacked():
		return nacked
	case <-ctx.Done():
		return stopped
	}
}

// renew writes the pending acks and extends the leases of ids, the part of
// the batch still to do. On failure the leases may expire and the messages
// be redelivered elsewhere too, which at-least-once delivery allows.
func (c *consumer) renew(ctx context.Context, ids []int64) {
	until := time.Now().Add(c.cfg.LeaseTimeout).UnixMilli()
	err := c.db.Write(ctx, func(tx *store.Tx) error {
		if err := c.q.ack(ctx, tx, c.acked); err != nil {
			return err
		}
		return c.q.extend(ctx, tx, ids, c.until, until)
	})
	if err != nil {
		c.log.Error("Cannot renew leases", err, nil)
		return
	}
	c.acked = c.acked[:0]
	c.until = until
}

// finish writes the pending acks and releases the leases of rest, so that
// other subscribers get those messages at once instead of after the lease,
// and deletes the messages every group is done with.
func (c *consumer) finish(rest []int64) {
	if len(c.acked) == 0 && len(rest) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	err := c.db.Write(ctx, func(tx *store.Tx) error {
		if err := c.q.ack(ctx, tx, c.acked); err != nil {
			return err
		}
		if err := c.q.release(ctx, tx, rest, c.until); err != nil {
			return err
		}
		return purge(ctx, tx, c.q.topic)
	})
	if err != nil {
		c.log.Error("Cannot release leases; the messages will be redelivered after their lease", err, nil)
	}
}

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
