// Package window owns the customer-service window: the time in which a
// business may send a contact free-form messages. Each of the contact's
// messages opens (or renews) it for 24 hours; outside it only approved
// templates may go (the platform answers 131047 otherwise). A message from
// a free entry point (a click-to-WhatsApp ad, carrying a referral) also
// starts a 72-hour free entry point period, recorded for pricing: per
// PROTOCOL §5 the 24-hour window still governs what may be sent.
//
// Start with OpenTx and Get (window.go); Expiring (expiring.go) emits the
// window.expiring event a configurable time before a window closes.
package window
