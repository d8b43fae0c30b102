// Package emulator is an in-memory WhatsApp Cloud API: the same Graph
// endpoints, payloads, error codes and signed webhooks as Meta's, so that
// Parley can be developed and tested without reaching Meta. It is the
// sandbox users develop against and what every test uses. The contract is
// the team's PROTOCOL.md (shared/whatsapp) and Meta's OpenAPI description
// (business-messaging-api v23.0, whose examples are in testdata/openapi);
// the wire types are package whatsapp's.
//
// # What it owns
//
//   - The Graph API (send.go, validate.go, templates*.go, media.go), every
//     call needing "Authorization: Bearer <AccessToken>" (else 190):
//     POST /{version}/{phone-number-id}/messages (all message types, read
//     receipts and typing indicators), POST /{version}/{phone-number-id}/media,
//     GET and DELETE /{version}/{media-id}, GET, POST and DELETE
//     /{version}/{waba-id}/message_templates, GET /{version}/{template-id},
//     GET /{version}/{phone-number-id}.
//   - The rules Meta enforces: the 24 h customer service window (131047),
//     per-number throughput (130429), the pair rate limit (131056), template
//     existence, status and parameters (132001, 132015, 132016, 132000,
//     132012, 132005), and asynchronous failures (131026, 131050, 131009,
//     131053) as failed statuses after a 200.
//   - The delivery simulation (lifecycle.go, schedule.go): sent → delivered →
//     read statuses with PMP pricing and v23 conversation objects.
//   - The webhook dispatcher (webhook.go): batching up to WebhookBatch
//     statuses per POST, X-Hub-Signature-256 signing, the GET verification
//     handshake, redelivery with back-off until a 200, and injected faults
//     (duplicates, reordering, drops).
//   - Customer simulation (inbound.go): Say and Receive, or
//     POST /_emulator/inbound, send a signed messages webhook and open the
//     service window.
//   - The control API under /_emulator/ (control.go; GET /_emulator/ lists
//     it), with no auth, and its Go client Control (client.go).
//
// # Where to start reading
//
// Config (config.go) documents every knob and its default. New builds an
// Emulator without side effects; Start runs the simulation and the
// dispatcher; Handler serves the API (Run does both on Config.Addr).
// handleSend in send.go is the hot path: one user-shard lock for the
// window and the limits, a sharded message store, a heap push for the first
// status — no lock held across I/O, no I/O at all.
//
// # Time
//
// Config.Clock drives every timestamp and every window, limit and expiry
// decision, so tests can move time; delays (StatusLatency, ReadAfter,
// back-off, batch windows) always run on real time and are meant to be
// tiny in tests.
//
// # Known departures from Meta
//
// The message_template_status_update language is the template's code as
// stored (en_US), as seen in production payloads, where Meta's reference
// example shows "en-US". Numbers sent without "+" are taken as full
// international numbers (Meta prepends the business's country code).
// Group messaging, messaging tiers and media content checks are not
// emulated.
package emulator
