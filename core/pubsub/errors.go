package pubsub

import (
	"errors"
	"fmt"
)

// Sentinel errors of package pubsub. Match them with errors.Is.
var (
	// ErrClosed is returned by Publish and Subscribe after Close.
	ErrClosed = errors.New("pubsub: closed")

	// ErrInvalidConfig is wrapped by every ConfigError.
	ErrInvalidConfig = errors.New("pubsub: invalid config")

	// ErrEmptyTopic is returned for a topic of "".
	ErrEmptyTopic = errors.New("pubsub: empty topic")

	// ErrInvalidMetadata means a message's metadata cannot be stored as it
	// is (a key or value is not valid UTF-8), so it is refused rather than
	// altered. It is wrapped by a *MetadataError.
	ErrInvalidMetadata = errors.New("pubsub: invalid metadata")
)

// ConfigError reports one invalid Config field. Constructors report every
// invalid field at once, joined with errors.Join.
type ConfigError struct {
	Field  string // the Config field, e.g. "BatchSize"
	Value  any    // the rejected value
	Reason string // what is wrong with it
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("pubsub config %s=%v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// MetadataError reports the metadata entry that made a message unstorable.
type MetadataError struct {
	MessageUUID string
	Key         string
	Reason      string
}

func (e *MetadataError) Error() string {
	return fmt.Sprintf("pubsub: message %s: metadata %q: %s", e.MessageUUID, e.Key, e.Reason)
}

// Unwrap returns ErrInvalidMetadata.
func (e *MetadataError) Unwrap() error { return ErrInvalidMetadata }
