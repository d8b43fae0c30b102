package connector

import "errors"

// Errors of the hub's connector side.
var (
	// ErrUnknownConnector means a request or an action names a connector
	// that is not configured, or is disabled.
	ErrUnknownConnector = errors.New("unknown connector")
	// ErrActionCheck means flows name actions the running connectors do not
	// have, or leave out inputs they require; Start fails with it.
	ErrActionCheck = errors.New("flow actions do not match the connectors")
	// errSettled means an inbox row or an action was settled by someone else
	// (the HTTP path and the retry loop met); the loser stores nothing.
	errSettled = errors.New("already settled")
)
