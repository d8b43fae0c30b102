package whatsapp

// MessageState is where an outbound message stands. The zero value ("") is
// "no state yet".
type MessageState string

const (
	// StateAccepted: Meta answered the send with 200 (or a paced template's
	// message_status accepted / held_for_quality_assessment / paused).
	StateAccepted MessageState = "accepted"
	// StateSent: status "sent" (one tick).
	StateSent MessageState = "sent"
	// StateDelivered: status "delivered" (two ticks).
	StateDelivered MessageState = "delivered"
	// StateRead: status "read" (blue ticks), or "played" for a voice message.
	StateRead MessageState = "read"
	// StateFailed: status "failed", with errors[] saying why.
	StateFailed MessageState = "failed"
)

// rank orders the progress states; failed and unknown states have none.
func (s MessageState) rank() int {
	switch s {
	case StateAccepted:
		return 1
	case StateSent:
		return 2
	case StateDelivered:
		return 3
	case StateRead:
		return 4
	}
	return 0
}

// Valid reports whether s is one of the five states.
func (s MessageState) Valid() bool { return s.rank() > 0 || s == StateFailed }

// StateFromStatus maps a status webhook's (or a send response's
// message_status) value to a state:
//
//	sent, delivered, read, failed                  → the same state
//	played (a voice message was first played)      → read: it implies the
//	    message was opened; nothing downstream needs a separate state, and
//	    the raw value stays in Status.Status
//	accepted, held_for_quality_assessment, paused  → accepted (template pacing)
//
// Anything else (including the On-Premises "deleted") → "", false.
func StateFromStatus(status string) (MessageState, bool) {
	switch status {
	case "sent":
		return StateSent, true
	case "delivered":
		return StateDelivered, true
	case "read", "played":
		return StateRead, true
	case "failed":
		return StateFailed, true
	case "accepted", "held_for_quality_assessment", "paused":
		return StateAccepted, true
	}
	return "", false
}

// Advance applies an observed state to the current one and reports whether
// the state changed. Meta delivers statuses more than once and out of order,
// and skips "delivered" when a message is delivered and read at once, so:
//
//   - progress only moves forward: accepted < sent < delivered < read; a
//     skipped step is fine (read straight after sent), an older state
//     arriving late (delivered after read) or a duplicate changes nothing;
//   - failed overrides accepted and sent: Meta reports an asynchronous
//     failure after the 200 (and sometimes after "sent"), and a late "sent"
//     does not revive a failed message;
//   - failed does not override delivered or read: the device acknowledged
//     the message, so the message is not regressed; record the failure's
//     errors as an event, not as the state;
//   - delivered or read after failed wins: it is positive evidence from the
//     device that outranks the failure report;
//   - an invalid next state (not one of the five) changes nothing.
//
// Advance is pure; cur may be "" (nothing known yet).
func Advance(cur, next MessageState) (MessageState, bool) {
	if !next.Valid() || next == cur {
		return cur, false
	}
	if !cur.Valid() {
		return next, true
	}
	switch {
	case next == StateFailed:
		if cur == StateAccepted || cur == StateSent {
			return next, true
		}
		return cur, false
	case cur == StateFailed:
		if next == StateDelivered || next == StateRead {
			return next, true
		}
		return cur, false
	case next.rank() > cur.rank():
		return next, true
	}
	return cur, false
}
