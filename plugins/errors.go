package plugins

import "errors"

// Errors of the plugin host. Errors a connector returns keep their sdk
// meaning (errors.Is(err, sdk.ErrUnauthorized) and so on) across the wire.
var (
	// ErrUnavailable means the plugin is down or restarting, or its
	// process broke the connection during the call. The call may be
	// retried once the plugin is back.
	ErrUnavailable = errors.New("connector plugin unavailable")
	// ErrChecksumMismatch means the binary's SHA-256 is not the configured
	// one; the host refuses to execute it.
	ErrChecksumMismatch = errors.New("connector plugin checksum mismatch")
	// ErrClosed means the Host has been closed.
	ErrClosed = errors.New("plugin host closed")
)
