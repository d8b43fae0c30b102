// Package hub assembles a running Parley from its config: the store, the
// pipeline stages, the HTTP API and webhook receiver, and in sandbox mode the
// embedded Cloud API emulator wired to Parley's receiver. Start with Run.
package hub
