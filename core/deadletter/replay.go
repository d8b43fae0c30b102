package deadletter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
)

// Errors of Queue; test for them with errors.Is.
var (
	// ErrNotFound means no dead letter has the given id.
	ErrNotFound = errors.New("dead letter not found")
	// ErrReplayed means the letter was replayed already; it is never
	// replayed twice.
	ErrReplayed = errors.New("dead letter already replayed")
	// ErrNotReplayable means the letter cannot be replayed: its topic has no
	// stage that takes a replay, or its rows have moved on (for example the
	// message was sent after all). Nothing was changed.
	ErrNotReplayable = errors.New("dead letter cannot be replayed")
)

// Metadata keys that Replay sets on the republished message.
const (
	// ReplayOfKey holds the UUID of the dead-lettered message.
	ReplayOfKey = "replay_of"
	// DeadLetterIDKey holds the id of the dead letter that was replayed.
	DeadLetterIDKey = "dead_letter_id"
)

// ReplayHook prepares a topic's rows for a replay. It runs inside the replay
// transaction, before the payload is republished, and puts the rows the
// payload names back into the state the topic's stage handles (a failed
// message back to accepted, say). An error wrapping ErrNotReplayable refuses
// the replay with its reason; any other error fails it. Either way nothing
// of the replay is kept.
type ReplayHook func(ctx context.Context, tx *store.Tx, l *Letter) error

// QueueConfig configures a Queue.
type QueueConfig struct {
	// DB holds the dead_letters table and the topics. Required.
	DB *store.DB
	// Replay lists the topics whose letters may be replayed, each with the
	// hook that prepares its rows; a nil hook republishes only, for stages
	// that need nothing reset. Letters of other topics are refused with
	// ErrNotReplayable.
	Replay map[string]ReplayHook
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Queue is the dead-letter queue as operators see it: list, show and
// replay. It is safe for concurrent use.
type Queue struct {
	db     *store.DB
	replay map[string]ReplayHook
	now    func() time.Time
}

// NewQueue returns the Queue on cfg.DB.
func NewQueue(cfg QueueConfig) (*Queue, error) {
	if cfg.DB == nil {
		return nil, errors.New("deadletter: NewQueue: nil DB")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Queue{db: cfg.DB, replay: cfg.Replay, now: cfg.Now}, nil
}

// Replayable reports whether letters of topic can be replayed at all.
func (q *Queue) Replayable(topic string) bool {
	_, ok := q.replay[topic]
	return ok
}

// Replay republishes a dead letter's payload on its original topic and marks
// the letter replayed, in one transaction with the topic's hook: either all
// of it happens or none. The republished message has a new UUID and the
// original metadata (the correlation id among it) without the poison queue's
// keys, plus ReplayOfKey and DeadLetterIDKey.
//
// A letter is replayed at most once: a second Replay, even a concurrent one,
// fails with ErrReplayed and publishes nothing. Other errors wrap
// ErrNotFound or ErrNotReplayable, or are storage failures. It returns the
// letter as replayed.
func (q *Queue) Replay(ctx context.Context, id int64) (*Letter, error) {
	var out *Letter
	err := q.db.Write(ctx, func(tx *store.Tx) error {
		l, err := getLetter(tx.QueryRow(ctx, `SELECT `+letterColumns+` FROM dead_letters WHERE id = ?`, id), id)
		if err != nil {
			return err
		}
		if l.ReplayedAt != nil {
			return fmt.Errorf("dead letter %d was replayed at %s: %w", id, l.ReplayedAt.Format(time.RFC3339), ErrReplayed)
		}
		hook, ok := q.replay[l.Topic]
		if !ok {
			return fmt.Errorf("dead letter %d: topic %q takes no replays: %w", id, l.Topic, ErrNotReplayable)
		}
		if hook != nil {
			if err := hook(ctx, tx, l); err != nil {
				return fmt.Errorf("dead letter %d: %w", id, err)
			}
		}
		msg := message.NewMessage(watermill.NewUUID(), []byte(l.Payload))
		for k, v := range l.Metadata {
			switch k {
			case middleware.PoisonedTopicKey, middleware.PoisonedHandlerKey, middleware.PoisonedSubscriberKey, middleware.ReasonForPoisonedKey:
			default:
				msg.Metadata.Set(k, v)
			}
		}
		msg.Metadata.Set(ReplayOfKey, l.UUID)
		msg.Metadata.Set(DeadLetterIDKey, strconv.FormatInt(l.ID, 10))
		if err := pubsub.PublishTx(tx, l.Topic, msg); err != nil {
			return fmt.Errorf("dead letter %d: republish: %w", id, err)
		}
		now := q.now()
		res, err := tx.Exec(ctx, `UPDATE dead_letters SET replayed_at = ? WHERE id = ? AND replayed_at IS NULL`, now.UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("dead letter %d: mark replayed: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// Unreachable: writes are serialised and the row was read above.
			return fmt.Errorf("dead letter %d: mark replayed: %d rows, %v: %w", id, n, err, ErrReplayed)
		}
		at := time.UnixMilli(now.UnixMilli()).UTC()
		l.ReplayedAt = &at
		out = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
