// Package webhook is Parley's generic webhook connector: any system that can
// POST a JSON body signed with HMAC-SHA256 becomes a source of events, with
// the event's type, id, contact and data picked out of the body by paths set
// in config. It is written exactly as a third-party connector would be: it
// imports only sdk and passes sdk/connectortest.
//
// Read config.go (every config field, documented once), then signature.go
// (what is verified, over the raw bytes, before any parsing) and event.go
// (how a body becomes an event).
package webhook
