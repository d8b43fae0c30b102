package guard

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer paces the business number's sends: never more than the configured
// rate in any one-second window, and as close to it as that allows. A
// golang.org/x/time/rate token bucket spreads the sends evenly; a sliding
// one-second log enforces the ceiling exactly, whatever the timers do. On
// a 130429 (throughput reached) it pauses every send and slows down, then
// recovers gradually. It is safe for concurrent use.
type Pacer struct {
	budget int // sends allowed in any second: just under the rate
	lim    *rate.Limiter
	now    func() time.Time

	mu          sync.Mutex
	log         []time.Time // the last budget sends, a ring
	head        int
	pausedUntil time.Time
	slowedAt    time.Time // when the limit was last lowered
}

// NewPacer returns a Pacer for rate messages per second (1 to 1,000). The
// ceiling is rate less 1% (at least 1), so that sends measured by the
// platform, a little later than here, stay under rate too.
func NewPacer(perSecond int) *Pacer {
	perSecond = max(perSecond, 1)
	budget := max(perSecond-max(perSecond/100, 1), 1)
	return &Pacer{
		budget: budget,
		lim:    rate.NewLimiter(rate.Limit(budget), 1),
		now:    time.Now,
		log:    make([]time.Time, budget),
	}
}

// Budget is the most sends the Pacer allows in any one-second window.
func (p *Pacer) Budget() int { return p.budget }

// Wait blocks until one more message may be sent, or ctx is done.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := p.now()
		pause := p.pausedUntil.Sub(now)
		p.recover(now)
		p.mu.Unlock()
		if pause <= 0 {
			break
		}
		if err := sleep(ctx, pause); err != nil {
			return err
		}
	}
	if err := p.lim.Wait(ctx); err != nil {
		return err
	}
	// The token bucket spaced this send; the log makes the one-second
	// ceiling exact. A send held here keeps its token: it waits for the
	// oldest of the last budget sends to leave the second, then goes.
	for {
		p.mu.Lock()
		now := p.now()
		oldest := p.log[p.head]
		wait := oldest.Add(time.Second).Sub(now)
		if oldest.IsZero() || wait <= 0 {
			p.log[p.head] = now
			p.head = (p.head + 1) % len(p.log)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Throttled records a 130429 answer: every send pauses for wait (the
// error's suggested wait), and the rate drops by a fifth (to at least one
// per second) until it recovers.
func (p *Pacer) Throttled(wait time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if until := now.Add(wait); until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
	p.lim.SetLimitAt(now, max(p.lim.Limit()*0.8, 1))
	p.slowedAt = now
}

// recover raises a lowered limit by a tenth every 5 s without a 130429.
func (p *Pacer) recover(now time.Time) {
	if p.lim.Limit() >= rate.Limit(p.budget) || now.Sub(p.slowedAt) < 5*time.Second {
		return
	}
	p.lim.SetLimitAt(now, min(p.lim.Limit()*1.1, rate.Limit(p.budget)))
	p.slowedAt = now
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
