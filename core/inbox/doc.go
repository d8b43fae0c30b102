// Package inbox owns the WhatsApp webhooks Parley receives: it stores each
// signed body raw before the receiver answers 200 (Sink), keeps refused ones
// for forensics, and later parses the stored body and applies it (Handler):
// statuses to delivery, customers' messages to inbound_messages (unique by
// wamid), template status updates to template_statuses.
package inbox
