package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
)

// The topics, in the order an event travels. Each carries ids of rows that
// the producing stage stored in the same transaction as the publish.
const (
	// TopicEvents carries event ids from ingest (POST /v1/events) to flows.
	TopicEvents = "events"
	// TopicOutbox carries message ids from flows and POST /v1/messages to
	// the send stage.
	TopicOutbox = "outbox"
	// TopicWebhooks carries webhook inbox ids from the WhatsApp receiver to
	// the inbox stage (statuses, customers' messages, template updates).
	TopicWebhooks = "webhooks.whatsapp"
	// TopicDeadLetters is the poison topic; its publisher writes the
	// dead_letters table directly.
	TopicDeadLetters = "dead_letters"
)

// Stages are the handlers of the topics.
type Stages struct {
	// Flows turns an event into messages (events → outbox).
	Flows message.NoPublishHandlerFunc
	// Send sends a message through the Cloud API (outbox).
	Send message.NoPublishHandlerFunc
	// Webhook applies a stored WhatsApp webhook (webhooks.whatsapp).
	Webhook message.NoPublishHandlerFunc
	// DeadLetterHooks record a dead letter's outcome on its topic's rows.
	DeadLetterHooks map[string]deadletter.Hook
}

// Config tunes the pipeline.
type Config struct {
	Retry        config.Retry
	LeaseTimeout time.Duration
	BatchSize    int
	// FlowWorkers is how many events are routed concurrently; default 256.
	FlowWorkers int
	// SendWorkers is how many messages are sent concurrently; default 256.
	SendWorkers int
	// WebhookWorkers is how many webhook bodies are applied concurrently; default 4.
	WebhookWorkers int
	Log            *slog.Logger
}

// Pipeline is the running router.
type Pipeline struct {
	router *message.Router
	subs   []message.Subscriber
}

// New declares the data path. Nothing runs until Run.
func New(db *store.DB, cfg Config, st Stages) (*Pipeline, error) {
	if cfg.FlowWorkers <= 0 {
		cfg.FlowWorkers = 256
	}
	if cfg.SendWorkers <= 0 {
		cfg.SendWorkers = 256
	}
	if cfg.WebhookWorkers <= 0 {
		cfg.WebhookWorkers = 4
	}
	logger := watermill.NewSlogLoggerWithLevelMapping(cfg.Log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p := &Pipeline{router: router}

	// Middleware, outermost first; the order is the design:
	//  1. CorrelationID carries the correlation id onto produced messages.
	//  2. PoisonQueue catches what still fails after retries (or fails
	//     permanently) and stores it as a dead letter with the reason;
	//     then the message is acked and nothing is lost.
	//  3. Retry retries with exponential back-off, except permanent errors.
	//  4. Recoverer turns a handler panic into an error that 3 and 2 see.
	poison, err := middleware.PoisonQueueWithFilter(deadletter.NewSink(db, st.DeadLetterHooks), TopicDeadLetters, func(err error) bool {
		return !errors.Is(err, context.Canceled)
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: poison queue: %w", err)
	}
	router.AddMiddleware(
		middleware.CorrelationID,
		poison,
		middleware.Retry{
			MaxRetries:          cfg.Retry.MaxRetries,
			InitialInterval:     cfg.Retry.InitialInterval,
			MaxInterval:         cfg.Retry.MaxInterval,
			Multiplier:          cfg.Retry.Multiplier,
			RandomizationFactor: 0.2,
			// Retries end well within the lease, so that no other worker
			// takes the message over while this one still retries it.
			MaxElapsedTime: cfg.LeaseTimeout / 2,
			ShouldRetry:    func(p middleware.RetryParams) bool { return !deadletter.IsPermanent(p.Err) },
			Logger:         logger,
		}.Middleware,
		middleware.Recoverer,
	)

	// The stages, in the order an event travels.
	// Each stage has one subscriber that claims a batch of messages in one
	// transaction and hands out up to `inFlight` of them at once; the
	// router runs each in its own goroutine. The stages do not depend on
	// order (every handler is idempotent and order-independent), so
	// concurrency is safe, and few large claims keep the single SQLite
	// writer free for the handlers' own writes.
	routes := []struct {
		name     string
		topic    string
		inFlight int
		handler  message.NoPublishHandlerFunc
	}{
		{"flows", TopicEvents, cfg.FlowWorkers, st.Flows},
		{"send", TopicOutbox, cfg.SendWorkers, st.Send},
		{"webhook", TopicWebhooks, cfg.WebhookWorkers, st.Webhook},
	}
	for _, r := range routes {
		sub, err := pubsub.NewSubscriber(db, pubsub.Config{
			ConsumerGroup: r.name,
			BatchSize:     max(cfg.BatchSize, r.inFlight),
			MaxInFlight:   r.inFlight,
			LeaseTimeout:  cfg.LeaseTimeout,
			Logger:        logger,
		})
		if err != nil {
			return nil, fmt.Errorf("pipeline: subscriber for %s: %w", r.topic, err)
		}
		p.subs = append(p.subs, sub)
		router.AddNoPublisherHandler(r.name, r.topic, sub, r.handler)
	}
	return p, nil
}

// Run runs the pipeline until ctx is done or Close is called.
func (p *Pipeline) Run(ctx context.Context) error {
	return p.router.Run(ctx)
}

// Running is closed once every handler runs.
func (p *Pipeline) Running() chan struct{} { return p.router.Running() }

// Close stops the handlers (waiting for those in flight) and the subscribers.
func (p *Pipeline) Close() error {
	err := p.router.Close()
	for _, s := range p.subs {
		err = errors.Join(err, s.Close())
	}
	return err
}
