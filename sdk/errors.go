package sdk

import (
	"errors"
	"fmt"
	"time"
)

// Errors with a meaning across the plugin boundary. Wrap them with %w and
// context; the hub tests them with errors.Is, even after the error has
// crossed the wire.
var (
	// ErrUnauthorized means a signature or auth check failed. The hub
	// answers 401 and emits nothing.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrBadRequest means a malformed payload, an unknown action or a bad
	// input. The hub answers 400 and keeps the raw request with the reason.
	ErrBadRequest = errors.New("bad request")
	// ErrNotSupported means the connector lacks the capability called,
	// such as Poll on a connector that is not a Poller.
	ErrNotSupported = errors.New("not supported by this connector")
	// ErrNotConfigured means a call arrived before a successful Configure.
	ErrNotConfigured = errors.New("connector not configured")
)

// RetryableError marks a temporary failure: the hub retries with back-off,
// waiting at least After when it is positive. Return it by value:
//
//	return sdk.WebhookResult{}, sdk.RetryableError{Err: err, After: 30 * time.Second}
type RetryableError struct {
	Err   error
	After time.Duration
}

func (e RetryableError) Error() string {
	if e.Err == nil {
		return "temporary failure"
	}
	return e.Err.Error()
}

func (e RetryableError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is, or wraps, a RetryableError (by value or
// pointer), and the wait it asks for.
func IsRetryable(err error) (after time.Duration, ok bool) {
	var v RetryableError
	if errors.As(err, &v) {
		return v.After, true
	}
	var p *RetryableError
	if errors.As(err, &p) && p != nil {
		return p.After, true
	}
	return 0, false
}

// ConfigError says what is wrong with one config field. It wraps
// ErrBadRequest and survives the trip across the wire. Problem must not
// contain a secret value.
type ConfigError struct {
	Field   string
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config field %q: %s", e.Field, e.Problem)
}

func (e *ConfigError) Unwrap() error { return ErrBadRequest }
