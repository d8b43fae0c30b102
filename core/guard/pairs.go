package guard

import (
	"hash/maphash"
	"sync"
	"time"
)

// Pairs paces messages to each recipient: the Cloud API's pair rate limit
// allows one message per interval to the same user on average, with
// bursts (PROTOCOL §4). It is a GCRA per recipient, held in memory, and
// backs a recipient off by 4^n seconds after the n-th consecutive 131056.
// It is safe for concurrent use.
type Pairs struct {
	interval time.Duration
	tau      time.Duration // burst tolerance: (burst-1)·interval
	seed     maphash.Seed
	shards   [64]pairShard
}

type pairShard struct {
	mu sync.Mutex
	m  map[string]*pair
	n  int // operations since the last sweep
}

type pair struct {
	tat      time.Time // theoretical arrival time of the next message
	failures int       // consecutive 131056
}

// NewPairs returns a pair limiter of one message per interval with burst.
func NewPairs(interval time.Duration, burst int) *Pairs {
	p := &Pairs{interval: interval, tau: time.Duration(max(burst, 1)-1) * interval, seed: maphash.MakeSeed()}
	for i := range p.shards {
		p.shards[i].m = map[string]*pair{}
	}
	return p
}

func (p *Pairs) shard(key string) *pairShard {
	return &p.shards[maphash.String(p.seed, key)%uint64(len(p.shards))]
}

// Reserve takes the recipient's next slot if it is due at now and returns
// now; otherwise it takes nothing and returns when the slot is due.
func (p *Pairs) Reserve(key string, now time.Time) time.Time {
	s := p.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, p.tau)
	e := s.m[key]
	if e == nil {
		e = &pair{}
		s.m[key] = e
	}
	tat := e.tat
	if tat.Before(now) {
		tat = now
	}
	if at := tat.Add(-p.tau); at.After(now) {
		return at
	}
	e.tat = tat.Add(p.interval)
	return now
}

// Peek returns when the recipient's next slot is due (now if it is),
// taking nothing.
func (p *Pairs) Peek(key string, now time.Time) time.Time {
	s := p.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil {
		return now
	}
	if at := e.tat.Add(-p.tau); at.After(now) {
		return at
	}
	return now
}

// Throttled records a 131056 for the recipient at now and returns when to
// try again: 4^n seconds after the n-th consecutive one (1 s, 4 s, 16 s,
// ..., at most 17 minutes), with the recipient's slots pushed past it.
func (p *Pairs) Throttled(key string, now time.Time) time.Time {
	s := p.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil {
		e = &pair{}
		s.m[key] = e
	}
	wait := time.Second
	for range min(e.failures, 5) {
		wait *= 4
	}
	e.failures++
	at := now.Add(wait)
	if t := at.Add(p.tau); t.After(e.tat) {
		e.tat = t
	}
	return at
}

// Sent records a successful send to the recipient, ending its back-off.
func (p *Pairs) Sent(key string) {
	s := p.shard(key)
	s.mu.Lock()
	if e := s.m[key]; e != nil {
		e.failures = 0
	}
	s.mu.Unlock()
}

// sweep forgets, every 4096 operations, recipients whose slots are all
// free again, so that memory follows the recipients of the last minutes.
func (s *pairShard) sweep(now time.Time, tau time.Duration) {
	if s.n++; s.n < 4096 {
		return
	}
	s.n = 0
	for k, e := range s.m {
		if e.failures == 0 && !e.tat.After(now.Add(-tau)) {
			delete(s.m, k)
		}
	}
}
