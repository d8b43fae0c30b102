package emulator

import (
	"sync"
	"sync/atomic"
	"time"
)

// Window lengths (PROTOCOL §5).
const (
	serviceWindow    = 24 * time.Hour // customer service window
	fepReplyWindow   = 24 * time.Hour // reply to a click-to-WhatsApp entry within this ...
	entryPointWindow = 72 * time.Hour // ... to open a free entry point window this long
)

// user is the emulator's state about one WhatsApp user (a recipient).
type user struct {
	lastInbound     time.Time // opens the customer service window; zero: never
	fepEligibleTill time.Time // a click-to-WhatsApp entry awaits its first reply until then
	fepTill         time.Time // free entry point window end
	fepConvID       string
	pairTAT         int64  // GCRA theoretical arrival time of the pair limit, Unix ns
	lastOutbound    string // wamid of the last business message, for reply contexts
	notOnWhatsApp   bool
	marketingOptOut bool
}

func (u *user) inWindow(now time.Time) bool {
	return !u.lastInbound.IsZero() && now.Sub(u.lastInbound) < serviceWindow
}

// userTable is a sharded map of users: the send path locks one shard for a
// few field updates and never across I/O.
type userTable struct {
	shards [64]userShard
}

type userShard struct {
	mu sync.Mutex
	m  map[string]*user
	_  [40]byte // keep shards on separate cache lines
}

func (t *userTable) shard(id string) *userShard {
	return &t.shards[fnv32(id)%uint32(len(t.shards))]
}

// update runs fn on the user, creating it, under its shard lock.
func (t *userTable) update(id string, fn func(u *user)) {
	s := t.shard(id)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string]*user)
	}
	u := s.m[id]
	if u == nil {
		u = &user{}
		s.m[id] = u
	}
	fn(u)
	s.mu.Unlock()
}

func (t *userTable) reset() {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		s.m = nil
		s.mu.Unlock()
	}
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// gcra is the generic cell rate algorithm: an event conforms when it comes
// no earlier than tat - tolerance; each conforming event pushes tat on by
// interval. It is a token bucket of Burst tokens refilled one per interval,
// in one int64.
type gcra struct {
	interval  int64 // ns
	tolerance int64 // (burst-1) * interval
}

func newGCRA(interval time.Duration, burst int) gcra {
	return gcra{interval: int64(interval), tolerance: int64(burst-1) * int64(interval)}
}

// allow updates tat (guarded by the caller) and reports conformance.
func (g gcra) allow(tat *int64, now int64) bool {
	t := max(*tat, now)
	if t-now > g.tolerance {
		return false
	}
	*tat = t + g.interval
	return true
}

// allowAtomic is allow on a shared tat, lock-free.
func (g gcra) allowAtomic(tat *atomic.Int64, now int64) bool {
	for {
		old := tat.Load()
		t := max(old, now)
		if t-now > g.tolerance {
			return false
		}
		if tat.CompareAndSwap(old, t+g.interval) {
			return true
		}
	}
}
