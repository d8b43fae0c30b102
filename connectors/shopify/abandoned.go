package shopify

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/eventdata"
)

// Shopify fires no event when a checkout is abandoned: abandonment is a
// state, a checkout with a phone and no completed_at that nobody touched
// for abandoned_after. The connector keeps such checkouts in memory (carts)
// and Poll emits cart.abandoned for those that came due.
//
// Restart caveat: the pending set lives only in the plugin process. If the
// plugin restarts (crash, upgrade, host restart), checkouts pending at that
// moment never become cart.abandoned unless Shopify sends another
// checkouts/update for them; and the memory of completed checkouts is lost,
// so a stale retry of an old checkouts/update could start a new wait.
// cart.abandoned ids are stable per checkout token, so the hub's dedupe
// never lets one checkout be reported twice.

const (
	// idleWait is how long Poll asks to wait when nothing is pending.
	idleWait = time.Minute
	// minWait keeps a busy poller from spinning.
	minWait = time.Second
	// tombstoneTTL is how long a completed, deleted or reported checkout is
	// remembered, to ignore stale retries (Shopify retries for 4 hours).
	tombstoneTTL = 24 * time.Hour
)

type pendingCart struct {
	due          time.Time
	lastActivity time.Time
	event        sdk.Event
}

// carts is the in-memory set of checkouts waiting to become abandoned. It
// is safe for concurrent use.
type carts struct {
	mu      sync.Mutex
	pending map[string]*pendingCart
	done    map[string]time.Time // key → when it was completed, deleted or reported
}

func newCarts() *carts {
	return &carts{pending: map[string]*pendingCart{}, done: map[string]time.Time{}}
}

func cartKey(shop, token string) string { return shop + "/" + token }

// track starts or restarts the wait for a checkout. It returns false when
// the checkout is not tracked because the set is full; a checkout already
// finished, or an update older than the one held, is ignored (true).
func (cs *carts) track(key string, lastActivity time.Time, after time.Duration, limit int, ev sdk.Event) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.done[key]; ok {
		return true
	}
	if p, ok := cs.pending[key]; ok {
		if lastActivity.Before(p.lastActivity) {
			return true
		}
	} else if len(cs.pending) >= limit {
		return false
	}
	cs.pending[key] = &pendingCart{due: lastActivity.Add(after), lastActivity: lastActivity, event: ev}
	return true
}

// cancel forgets a checkout that was completed or deleted.
func (cs *carts) cancel(key string, at time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.pending, key)
	cs.done[key] = at
}

// due removes and returns the checkouts due at now, oldest first, and how
// long until the next one is due.
func (cs *carts) due(now time.Time) ([]*pendingCart, time.Duration) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []*pendingCart
	next := idleWait
	for k, p := range cs.pending {
		if !p.due.After(now) {
			out = append(out, p)
			delete(cs.pending, k)
			cs.done[k] = now
			continue
		}
		if w := p.due.Sub(now); w < next {
			next = w
		}
	}
	for k, t := range cs.done {
		if now.Sub(t) > tombstoneTTL {
			delete(cs.done, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].due.Before(out[j].due) })
	return out, max(next, minWait)
}

// checkout handles checkouts/create, checkouts/update and checkouts/delete:
// it emits checkout.updated (not for delete) and starts, restarts or
// cancels the abandonment wait.
func (c *Connector) checkout(m mapper, res *sdk.WebhookResult, co *checkout) {
	token := eventdata.First(co.Token, co.ID.String())
	key := cartKey(m.d.shop, token)
	if m.d.topic == "checkouts/delete" {
		c.carts.cancel(key, m.d.received)
		m.skip(res, m.d.eventIDFor(token), "checkout %s deleted: no event; any abandoned-cart wait is cancelled", token)
		return
	}
	if co.CompletedAt != "" {
		c.carts.cancel(key, m.d.received)
	}
	ev, ok := m.checkoutEvent(res, co)
	if !ok {
		return
	}
	res.Events = append(res.Events, ev)
	if co.CompletedAt != "" {
		return
	}
	last := firstTime(m.d.received, co.UpdatedAt, co.CreatedAt)
	if !c.carts.track(key, last, m.cfg.abandonedAfter, m.cfg.maxPending, abandonedEvent(ev, m.d.shop, token)) {
		m.skip(res, ev.ID+"/abandoned", "checkout %s not tracked for abandonment: %d checkouts already pending (%s)", token, m.cfg.maxPending, keyMaxPending)
	}
}

// abandonedEvent is the cart.abandoned a checkout.updated becomes. Its id
// is stable per checkout, so one checkout is reported at most once.
func abandonedEvent(ev sdk.Event, shop, token string) sdk.Event {
	data := make(map[string]any, len(ev.Data)+1)
	for k, v := range ev.Data {
		data[k] = v
	}
	delete(data, "completed")
	delete(data, "completed_at")
	if u, ok := data["abandoned_checkout_url"]; ok {
		data["recovery_url"] = u
	}
	ev.Type = TypeCartAbandoned
	ev.ID = shop + "/checkouts/" + token + "/abandoned"
	ev.Data = data
	return ev
}

// Poll emits cart.abandoned for every checkout whose wait is over. The
// pending set is in memory (see the restart caveat above), so the cursor
// carries no state: a page with events moves it to the poll's time (RFC
// 3339), an empty page returns it unchanged. Wait is the time until the
// next checkout is due, at most a minute (or abandoned_after if shorter).
func (c *Connector) Poll(ctx context.Context, cursor string) (sdk.PollResult, error) {
	cfg, err := c.config()
	if err != nil {
		return sdk.PollResult{}, err
	}
	now := c.now().UTC()
	due, wait := c.carts.due(now)
	res := sdk.PollResult{Cursor: cursor, Wait: min(wait, cfg.abandonedAfter)}
	if len(due) > 0 {
		res.Cursor = now.Format(time.RFC3339Nano)
	}
	for _, p := range due {
		ev := p.event
		ev.OccurredAt = p.due
		ev.Data["abandoned_at"] = p.due.Format(time.RFC3339)
		res.Events = append(res.Events, ev)
	}
	return res, nil
}
