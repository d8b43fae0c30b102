// Package delivery owns outbound WhatsApp messages from the moment Parley
// accepts them until the platform reports them read or failed: the messages
// table, the send stage that calls the Cloud API, and the status stage that
// applies status webhooks through a monotonic state machine.
//
// Start with Store (messages.go), then Sender (send.go) and Statuses
// (status.go).
package delivery
