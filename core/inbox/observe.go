package inbox

import "github.com/parley-hub/parley/core/whatsapp"

// StatusObserver is told of each status update the inbox stage applied (for
// metrics), after the transaction that applied it committed. A redelivered
// body is told again. Implementations must be safe for concurrent use and
// must not block.
type StatusObserver interface {
	// StatusApplied is called with the status: sent, delivered, read,
	// failed, or whatever else the platform sent.
	StatusApplied(status string)
}

// WithStatusObserver makes in tell o of the statuses it applies and returns
// in. Call it before the pipeline runs.
func (in *Inbox) WithStatusObserver(o StatusObserver) *Inbox {
	in.observer = o
	return in
}

// observe tells the observer, if any, of the statuses of a committed body.
func (in *Inbox) observe(sts []whatsapp.Status) {
	if in.observer == nil {
		return
	}
	for _, st := range sts {
		in.observer.StatusApplied(st.Status)
	}
}
