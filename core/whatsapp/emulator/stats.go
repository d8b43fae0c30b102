package emulator

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// Stats are the emulator's counters since it started or was last Reset.
type Stats struct {
	// Accepted counts sends answered 200 with a wamid, by message type.
	Accepted map[string]int64 `json:"accepted"`
	// AcceptedTotal is the sum of Accepted.
	AcceptedTotal int64 `json:"accepted_total"`
	// ReadReceipts counts mark-as-read (and typing indicator) calls.
	ReadReceipts int64 `json:"read_receipts"`
	// Rejected counts Graph error responses by error code.
	Rejected map[string]int64 `json:"rejected"`
	// RejectedTotal is the sum of Rejected.
	RejectedTotal int64 `json:"rejected_total"`
	// FaultsInjected counts sends answered by FaultRate.
	FaultsInjected int64 `json:"faults_injected"`
	// Inbound counts simulated customer messages.
	Inbound int64 `json:"inbound"`
	// Statuses counts status events emitted, by status.
	Statuses map[string]int64 `json:"statuses"`
	// Webhooks describes webhook delivery.
	Webhooks WebhookStats `json:"webhooks"`
}

// WebhookStats describes webhook delivery.
type WebhookStats struct {
	// Posts counts POSTs the receiver answered 200.
	Posts int64 `json:"posts"`
	// Delivered counts events (statuses, messages, template updates) in them.
	Delivered int64 `json:"delivered"`
	// Pending counts events queued, held or in flight.
	Pending int64 `json:"pending"`
	// FailedPosts counts POSTs not answered 200 (each is redelivered).
	FailedPosts int64 `json:"failed_posts"`
	// Retries counts redelivery attempts.
	Retries int64 `json:"retries"`
	// Dropped, Duplicated and Reordered count injected webhook faults.
	Dropped    int64 `json:"dropped"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
	// Overflow counts events dropped because the queue was full.
	Overflow int64 `json:"overflow"`
	// Lost counts events undelivered when the emulator shut down.
	Lost int64 `json:"lost"`
	// VerifyFailures counts failed verification handshakes.
	VerifyFailures int64 `json:"verify_failures"`
}

// counters are the live, lock-free form of Stats.
type counters struct {
	accepted       sync.Map // type -> *atomic.Int64
	rejected       sync.Map // code -> *atomic.Int64
	statuses       [5]atomic.Int64
	readReceipts   atomic.Int64
	faults         atomic.Int64
	inbound        atomic.Int64
	posts          atomic.Int64
	events         atomic.Int64
	failedPosts    atomic.Int64
	retries        atomic.Int64
	dropped        atomic.Int64
	duplicated     atomic.Int64
	reordered      atomic.Int64
	overflow       atomic.Int64
	lost           atomic.Int64
	verifyFailures atomic.Int64
}

func count(m *sync.Map, key any) {
	if c, ok := m.Load(key); ok {
		c.(*atomic.Int64).Add(1)
		return
	}
	c, _ := m.LoadOrStore(key, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

func (c *counters) snapshot(pending int) Stats {
	s := Stats{Accepted: map[string]int64{}, Rejected: map[string]int64{}, Statuses: map[string]int64{}}
	c.accepted.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		s.Accepted[k.(string)] = n
		s.AcceptedTotal += n
		return true
	})
	c.rejected.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		s.Rejected[strconv.Itoa(k.(int))] = n
		s.RejectedTotal += n
		return true
	})
	for i := range c.statuses {
		if n := c.statuses[i].Load(); n > 0 {
			s.Statuses[statusNames[i]] = n
		}
	}
	s.ReadReceipts = c.readReceipts.Load()
	s.FaultsInjected = c.faults.Load()
	s.Inbound = c.inbound.Load()
	s.Webhooks = WebhookStats{
		Posts: c.posts.Load(), Delivered: c.events.Load(), Pending: int64(pending),
		FailedPosts: c.failedPosts.Load(), Retries: c.retries.Load(),
		Dropped: c.dropped.Load(), Duplicated: c.duplicated.Load(), Reordered: c.reordered.Load(),
		Overflow: c.overflow.Load(), Lost: c.lost.Load(), VerifyFailures: c.verifyFailures.Load(),
	}
	return s
}

func (c *counters) reset() {
	c.accepted.Clear()
	c.rejected.Clear()
	for _, a := range []*atomic.Int64{
		&c.statuses[0], &c.statuses[1], &c.statuses[2], &c.statuses[3], &c.statuses[4],
		&c.readReceipts, &c.faults, &c.inbound, &c.posts, &c.events, &c.failedPosts, &c.retries,
		&c.dropped, &c.duplicated, &c.reordered, &c.overflow, &c.lost, &c.verifyFailures,
	} {
		a.Store(0)
	}
}
