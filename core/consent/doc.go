// Package consent owns the consent ledger: append-only records of what a
// contact agreed to or refused, per purpose (marketing, utility,
// authentication, service), with the lawful basis, the source, the evidence
// and the actor. The current state of a purpose is derived from the ledger
// (Current); nothing is ever overwritten, so an import of old choices never
// hides a newer one.
//
// Start with Record and RecordTx (ledger.go), then Current. Keywords
// (keywords.go) recognizes STOP/START-style messages, per locale, matched
// only as the whole message; FromEvent (event.go) reads connectors'
// consent.updated events.
package consent
