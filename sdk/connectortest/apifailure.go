package connectortest

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// CheckAPIFailure checks an error a connector returned because the
// vendor's API failed while it handled a call (a 429, a 503, revoked
// credentials), as the hub needs it: an error, never one wrapping
// sdk.ErrUnauthorized or sdk.ErrBadRequest (the hub would refuse or
// dead-letter a good delivery), and an sdk.RetryableError asking to wait
// retryAfter when retryable is set, or none when it is not. A negative
// retryAfter accepts any wait.
func CheckAPIFailure(t testing.TB, err error, retryable bool, retryAfter time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatal("the API failed, but the call returned no error")
	}
	after, retry := sdk.IsRetryable(err)
	if retry != retryable || (retry && retryAfter >= 0 && after != retryAfter) {
		t.Errorf("retryable = %v after %s, want %v after %s (%v)", retry, after, retryable, retryAfter, err)
	}
	if errors.Is(err, sdk.ErrUnauthorized) || errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("an API failure must not look like a bad delivery or call: %v", err)
	}
}
