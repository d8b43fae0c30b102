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
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if err := q.register(ctx, tx); err != nil {
			return err
		}
		return sweep(ctx, tx, q.topic)
	})
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
}

// run claims batches and hands their messages out until ctx is done.
func (c *consumer) run(ctx context.Context) {
	poll := time.NewTicker(c.cfg.PollInterval)
	defer poll.Stop()
	var done *lease // handled, but the acks are not written yet
	for {
		// Take the doorbell before looking, so a publish that commits
		// after the claim still wakes us.
		bell := c.bell.wait(c.q.topic)
		l, err := c.claim(ctx, done)
		if err == nil {
			done = nil
		}
		if l != nil {
			if c.handle(ctx, l) {
				c.finish(l)
				return
			}
			done = l
			continue
		}
		switch {
		case ctx.Err() != nil:
			c.finish(done)
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
			c.finish(done)
			return
		}
	}
}

// claim writes the acks of done, if any, and leases the next batch.
func (c *consumer) claim(ctx context.Context, done *lease) (*lease, error) {
	var l *lease
	now := time.Now()
	err := c.db.Write(ctx, func(tx *store.Tx) error {
		if done != nil {
			if err := c.q.settle(ctx, tx, done, 0); err != nil {
				return err
			}
		}
		var err error
		l, err = c.q.claim(ctx, tx, c.cfg.BatchSize, now.UnixMilli(), now.Add(c.cfg.LeaseTimeout).UnixMilli())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pubsub: claim from topic %q: %w", c.q.topic, err)
	}
	return l, nil
}

// handle sends the messages of l, up to MaxInFlight of them unacked at a
// time (one at a time, in order, by default), redelivering a nacked one
// after NackDelay. It returns once every message is acked, and reports
// whether ctx was cancelled before that.
func (c *consumer) handle(ctx context.Context, l *lease) (interrupted bool) {
	type result struct {
		i   int
		out outcome
	}
	results := make(chan result, len(l.msgs)) // one goroutine per message at a time
	done := make([]bool, len(l.msgs))
	inFlight, next := 0, l.acked
	send := func(i int, delay time.Duration) {
		inFlight++
		go func() {
			if delay > 0 && !sleep(ctx, delay) {
				results <- result{i, stopped}
				return
			}
			results <- result{i, c.deliver(ctx, l.msgs[i])}
		}()
	}
	renewAt := time.Now().Add(c.cfg.LeaseTimeout / 3)
	for l.acked < len(l.msgs) {
		if time.Now().After(renewAt) {
			c.renew(ctx, l)
			renewAt = time.Now().Add(c.cfg.LeaseTimeout / 3)
		}
		for inFlight < c.cfg.MaxInFlight && next < len(l.msgs) {
			send(next, 0)
			next++
		}
		var r result
		select {
		case r = <-results:
		case <-time.After(time.Until(renewAt)):
			continue
		}
		inFlight--
		switch r.out {
		case acked:
			done[r.i] = true
			for l.acked < len(l.msgs) && done[l.acked] {
				l.acked++
			}
		case nacked:
			send(r.i, c.cfg.NackDelay)
		case stopped:
			return true
		}
	}
	return false
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

// renew writes l's acks so far and extends its lease. On failure the lease
// may expire and the rest of the batch be delivered elsewhere too, which
// at-least-once delivery allows.
func (c *consumer) renew(ctx context.Context, l *lease) {
	until := time.Now().Add(c.cfg.LeaseTimeout).UnixMilli()
	err := c.db.Write(ctx, func(tx *store.Tx) error { return c.q.settle(ctx, tx, l, until) })
	if err != nil {
		c.log.Error("Cannot renew lease", err, nil)
		return
	}
	l.until, l.settled = until, l.acked
}

// finish writes l's acks and releases the rest of it, so that other
// subscribers get those messages at once instead of after the lease.
func (c *consumer) finish(l *lease) {
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	err := c.db.Write(ctx, func(tx *store.Tx) error { return c.q.settle(ctx, tx, l, 0) })
	if err != nil {
		c.log.Error("Cannot release lease; its messages will be redelivered after it expires", err, nil)
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
