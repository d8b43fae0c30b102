// Package escalation turns a customer's WhatsApp message asking for a person
// ("agent", "talk to a person") into the canonical event
// conversation.escalated, which flows route to a help desk (for example
// the action zendesk.create_ticket). It is the handler of the inbound topic,
// on which package inbox announces each customer's message it stores.
//
// Start with Detector.Handle; Match is the keyword rule.
package escalation
