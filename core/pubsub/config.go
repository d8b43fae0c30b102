package pubsub

import (
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// Config configures a Publisher or a Subscriber. The zero value of every
// field selects its default. Publishers use only Logger.
type Config struct {
	// ConsumerGroup is the group a Subscriber consumes for. Every group
	// receives each message of a topic once; the subscribers of one group,
	// in this process or another, share its messages. Default
	// DefaultConsumerGroup ("default").
	ConsumerGroup string

	// BatchSize is how many messages a subscriber claims per transaction.
	// Larger batches mean fewer transactions, and more redeliveries after a
	// crash. Default 64.
	BatchSize int

	// LeaseTimeout is how long a claimed message stays with its subscriber
	// before others of the group may claim it. The subscriber renews the
	// leases of its batch as it works through it, so LeaseTimeout only needs
	// to exceed the longest time one handler takes on one message; after a
	// crash the messages are redelivered once it has passed. Default 30s;
	// at least 1s.
	LeaseTimeout time.Duration

	// PollInterval is how often an idle subscriber looks for messages
	// without being woken. Publishes in this process wake subscribers at
	// once; polling catches expired leases and publishes from other
	// processes. Default 1s.
	PollInterval time.Duration

	// NackDelay is how long a subscriber waits before redelivering a message
	// that was nacked. It keeps a failing handler from spinning; the order
	// of the topic is kept, so later messages wait too. Default 100ms; a
	// negative value redelivers at once.
	NackDelay time.Duration

	// MaxInFlight is how many messages of its batch a subscriber hands out
	// before the first of them is acked. 1 (the default) hands them out one
	// at a time, in order. More lets a Watermill router, which runs each
	// message it receives in its own goroutine, handle that many at once;
	// the order of the topic is then not kept, and acks are written up to
	// the oldest message not acked yet (a crash redelivers the rest).
	MaxInFlight int

	// Logger receives the errors a subscriber cannot return, such as a
	// failed claim while polling. Default watermill.NopLogger.
	Logger watermill.LoggerAdapter
}

// The defaults of Config, applied by Config.withDefaults.
const (
	DefaultConsumerGroup = "default"
	DefaultBatchSize     = 64
	DefaultLeaseTimeout  = 30 * time.Second
	DefaultPollInterval  = time.Second
	DefaultNackDelay     = 100 * time.Millisecond
)

// maxBatchSize bounds BatchSize: a claim reads the whole batch, payloads
// included, inside the shared write transaction.
const maxBatchSize = 1000

// withDefaults returns c with every zero field set to its default. It is the
// one place defaults are applied.
func (c Config) withDefaults() Config {
	if c.ConsumerGroup == "" {
		c.ConsumerGroup = DefaultConsumerGroup
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.LeaseTimeout == 0 {
		c.LeaseTimeout = DefaultLeaseTimeout
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.NackDelay == 0 {
		c.NackDelay = DefaultNackDelay
	}
	if c.NackDelay < 0 {
		c.NackDelay = 0
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	return c
}

// validate reports every invalid field of c (after withDefaults) at once.
func (c Config) validate() error {
	var errs []error
	if c.BatchSize < 1 || c.BatchSize > maxBatchSize {
		errs = append(errs, &ConfigError{Field: "BatchSize", Value: c.BatchSize, Reason: "must be between 1 and 1000"})
	}
	if c.LeaseTimeout < time.Second {
		errs = append(errs, &ConfigError{Field: "LeaseTimeout", Value: c.LeaseTimeout, Reason: "must be at least 1s"})
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > maxBatchSize {
		errs = append(errs, &ConfigError{Field: "MaxInFlight", Value: c.MaxInFlight, Reason: "must be between 1 and 1000"})
	}
	if c.PollInterval < 0 {
		errs = append(errs, &ConfigError{Field: "PollInterval", Value: c.PollInterval, Reason: "must not be negative"})
	}
	return errors.Join(errs...)
}
