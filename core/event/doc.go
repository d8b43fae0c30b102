// Package event defines Parley's canonical event: the one shape every
// connected system's notification (order shipped, cart abandoned, ticket
// updated, contact created) takes before it enters the pipeline.
//
// Start with Event and Decode. Paths such as "contact.name" or
// "data.order.number" address fields of an event for flows (Lookup).
package event
