// Package flows turns events into outbound messages by the rules in the
// config: "on event type T (optionally from source S) send template X (or a
// text) to the phone at path P, with parameters taken from event paths".
// Start with Router.Handle, the stage between the events and outbox topics.
package flows
