package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	// TopicGate carries message ids from flows, POST /v1/messages and the
	// conversation stage to the policy gate, which decides each one (send,
	// send_template, defer_until, fallback, block) and records why; its
	// Deferred timer brings deferred messages back when they are due.
	TopicGate = "gate"
	// TopicOutbox carries message ids the gate released to the send stage.
	TopicOutbox = "outbox"
	// TopicWebhooks carries webhook inbox ids from the WhatsApp receiver to
	// the inbox stage (statuses, customers' messages, template updates).
	TopicWebhooks = "webhooks.whatsapp"
	// TopicActions carries connector_actions ids from flows to the actions
	// stage, which runs them in the connectors (create a ticket, add a note).
	TopicActions = "actions"
	// TopicInbound carries the wamids of customers' messages from the inbox
	// stage to the escalation stage, which turns a request for a person
	// into a conversation.escalated event (→ events), and to the
	// conversation stage: window, consent keywords, agent queue, and the
	// bot's message.received / message.reply events (→ events, gate).
	TopicInbound = "inbound"
	// TopicDeadLetters is the poison topic; its publisher writes the
	// dead_letters table directly.
	TopicDeadLetters = "dead_letters"
)

// Stages are the handlers of the topics.
type Stages struct {
	// Flows turns an event into messages (events → gate).
	Flows message.NoPublishHandlerFunc
	// Gate decides each message before it is sent (gate → outbox).
	Gate message.NoPublishHandlerFunc
	// Conversation applies a customer's message to the window, the consent
	// ledger and the agent queue, and wakes the bot (inbound → events).
	Conversation message.NoPublishHandlerFunc
	// Timers are durable timers that publish work when it falls due:
	// deferred messages back to the gate, window.expiring events. They run
	// while the pipeline runs.
	Timers []func(ctx context.Context) error
	// Send sends a message through the Cloud API (outbox).
	Send message.NoPublishHandlerFunc
	// Webhook applies a stored WhatsApp webhook (webhooks.whatsapp).
	Webhook message.NoPublishHandlerFunc
	// Actions runs a connector action a flow requested (actions).
	Actions message.NoPublishHandlerFunc
	// Escalation turns a customer's request for a person into an event
	// (inbound → events).
	Escalation message.NoPublishHandlerFunc
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
	log    *slog.Logger

	timers     []func(ctx context.Context) error
	timersCtx  context.Context // done when Run's ctx is, or on Close
	stopTimers context.CancelFunc
	timersDone sync.WaitGroup
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
	p := &Pipeline{router: router, log: cfg.Log}
	p.timersCtx, p.stopTimers = context.WithCancel(context.Background())

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
			ShouldRetry: func(p middleware.RetryParams) bool {
				return !deadletter.IsPermanent(p.Err) && !errors.Is(p.Err, context.Canceled)
			},
			Logger: logger,
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
		{"gate", TopicGate, cfg.FlowWorkers, st.Gate},
		{"send", TopicOutbox, cfg.SendWorkers, st.Send},
		{"actions", TopicActions, 8, st.Actions},
		{"webhook", TopicWebhooks, cfg.WebhookWorkers, st.Webhook},
		{"escalation", TopicInbound, 4, st.Escalation},
		{"conversation", TopicInbound, 4, st.Conversation},
	}
	for _, r := range routes {
		if r.handler == nil {
			continue // a stage this Parley does not run; nothing publishes to its topic
		}
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
	p.timers = st.Timers
	return p, nil
}

// Run runs the pipeline, and its timers, until ctx is done or Close is
// called.
func (p *Pipeline) Run(ctx context.Context) error {
	context.AfterFunc(ctx, p.stopTimers)
	for _, t := range p.timers {
		p.timersDone.Add(1)
		go func() {
			defer p.timersDone.Done()
			if err := t(p.timersCtx); err != nil && p.timersCtx.Err() == nil {
				p.log.Error("pipeline timer stopped", "error", err)
			}
		}()
	}
	return p.router.Run(ctx)
}

// Running is closed once every handler runs.
func (p *Pipeline) Running() chan struct{} { return p.router.Running() }

// Close stops the handlers (waiting for those in flight) and the subscribers.
func (p *Pipeline) Close() error {
	p.stopTimers()
	p.timersDone.Wait()
	err := p.router.Close()
	for _, s := range p.subs {
		err = errors.Join(err, s.Close())
	}
	return err
}
