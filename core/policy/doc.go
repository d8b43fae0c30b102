// Package policy is the pre-send gate: one decision for every outbound
// message, made in one place and recorded.
//
// Decide (decide.go) is a pure function of the message and the facts about
// its recipient — consent, the customer-service window, the agent queue,
// frequency caps, quiet hours in the recipient's time zone, the pair
// limit — and returns one of send, send_template, defer_until, fallback
// or block, with a stable reason code, the purpose and the lawful basis.
//
// Gate (gate.go) is the pipeline stage between the flows and the outbox:
// it gathers the facts, calls Decide, stores the decision as an audit
// record (decisions) and acts on it in the same transaction: it releases
// the message to the outbox at most once, rewrites it into a template,
// defers it durably (gate_messages.deferred_until; Deferred, in
// deferred.go, re-enqueues it when due, across restarts), runs the
// fallback (the agent queue or a connector action) or blocks it.
// Pacing (pacing.go) is the send stage's side of the guardrails.
package policy
