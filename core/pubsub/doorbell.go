package pubsub

import (
	"runtime"
	"sync"
	"weak"

	"github.com/parley-hub/parley/core/store"
)

// doorbell wakes the idle subscribers of a topic when a publish commits.
// A subscriber takes the topic's channel with wait before it looks for
// messages, so a publish that commits after it looked still wakes it; ring
// closes the channel, waking every waiter at once, and the next wait gets a
// fresh one.
type doorbell struct {
	mu     sync.Mutex
	topics map[string]chan struct{}
}

func (d *doorbell) wait(topic string) <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch, ok := d.topics[topic]
	if !ok {
		ch = make(chan struct{})
		d.topics[topic] = ch
	}
	return ch
}

func (d *doorbell) ring(topic string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ch, ok := d.topics[topic]; ok {
		close(ch)
		delete(d.topics, topic)
	}
}

// doorbells holds one doorbell per open *store.DB, shared by every publisher
// and subscriber of that database, including PublishTx, which only has the
// transaction to go by. Entries are weak so that a DB that is no longer used
// can be collected; its entry is then removed.
var doorbells sync.Map // weak.Pointer[store.DB] → *doorbell

// doorbellFor returns the doorbell of db.
func doorbellFor(db *store.DB) *doorbell {
	key := weak.Make(db)
	if d, ok := doorbells.Load(key); ok {
		return d.(*doorbell)
	}
	d, loaded := doorbells.LoadOrStore(key, &doorbell{topics: map[string]chan struct{}{}})
	if !loaded {
		runtime.AddCleanup(db, func(k weak.Pointer[store.DB]) { doorbells.Delete(k) }, key)
	}
	return d.(*doorbell)
}
