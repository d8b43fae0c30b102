package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

type eventKind uint8

const (
	evStatus   eventKind = iota // a status of an outbound message; batched
	evMessage                   // an inbound message; one per POST
	evTemplate                  // a message_template_status_update; one per POST
)

// event is one webhook change waiting for delivery.
type event struct {
	kind     eventKind
	dup      bool // a fault-injected duplicate; never duplicated again
	faulted  bool // faults already applied (pushed back by a full batch)
	status   whatsapp.Status
	contact  *whatsapp.Contact
	message  *whatsapp.InboundMessage
	template *whatsapp.TemplateStatusUpdate
	time     int64 // entry time of non-messages fields, Unix seconds
}

// dispatcher delivers webhook events: it coalesces statuses into batches,
// applies the webhook faults, signs, posts, and redelivers with back-off
// until a 200. It holds no lock across I/O.
type dispatcher struct {
	e *Emulator

	mu       sync.Mutex
	q        []event // queue; q[head:] pending
	head     int
	held     []event // statuses held back by the reorder fault
	heldAt   time.Time
	inflight int
	verified map[string]bool
	urlCh    chan struct{} // closed and replaced when the URL changes

	notify chan struct{}
}

func newDispatcher(e *Emulator) *dispatcher {
	return &dispatcher{e: e, notify: make(chan struct{}, 1), urlCh: make(chan struct{}), verified: map[string]bool{}}
}

func (d *dispatcher) signal() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

// enqueue adds events in order. Beyond WebhookQueueLimit they are dropped,
// counted and logged.
func (d *dispatcher) enqueue(evs ...event) {
	d.mu.Lock()
	room := d.e.cfg.WebhookQueueLimit - (len(d.q) - d.head) - len(d.held) - d.inflight
	if room < len(evs) {
		lost := len(evs) - max(room, 0)
		evs = evs[:max(room, 0)]
		d.e.stats.overflow.Add(int64(lost))
		d.e.log.Warn("emulator: webhook queue full, events dropped", "dropped", lost, "limit", d.e.cfg.WebhookQueueLimit)
	}
	d.q = append(d.q, evs...)
	d.mu.Unlock()
	d.signal()
}

// pending is the number of events not yet acknowledged by the receiver.
func (d *dispatcher) pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.q) - d.head + len(d.held) + d.inflight
}

func (d *dispatcher) reset() {
	d.mu.Lock()
	clear(d.q)
	d.q, d.head, d.held = d.q[:0], 0, nil
	d.mu.Unlock()
}

// urlChanged wakes whoever waits for a webhook URL.
func (d *dispatcher) urlChanged() {
	d.mu.Lock()
	close(d.urlCh)
	d.urlCh = make(chan struct{})
	d.mu.Unlock()
	d.signal()
}

// run is one delivery worker.
func (d *dispatcher) run(ctx context.Context) {
	for {
		if _, ok := d.waitURL(ctx); !ok {
			return
		}
		batch := d.take(ctx)
		if batch == nil {
			return
		}
		d.deliver(ctx, batch)
	}
}

// waitURL returns the webhook URL once there is one.
func (d *dispatcher) waitURL(ctx context.Context) (string, bool) {
	for {
		d.mu.Lock()
		ch := d.urlCh
		d.mu.Unlock()
		if u := d.e.WebhookURL(); u != "" {
			return u, true
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-ch:
		}
	}
}

// take blocks until it can form the next POST: one inbound message or
// template update, or up to WebhookBatch statuses, waiting up to
// WebhookBatchWindow for a batch to fill. It applies the webhook faults.
// It returns nil when ctx ends.
func (d *dispatcher) take(ctx context.Context) []event {
	var fillBy time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	window := d.e.cfg.WebhookBatchWindow
	holdMax := max(2*window, 20*time.Millisecond)
	for {
		var wait time.Duration = -1
		d.mu.Lock()
		now := time.Now()
		if n := len(d.q) - d.head; n > 0 {
			if d.q[d.head].kind != evStatus {
				ev := d.q[d.head]
				d.q[d.head] = event{}
				d.head++
				d.compact()
				batch := d.faults([]event{ev})
				more := len(d.q) > d.head
				d.mu.Unlock()
				if more {
					d.signal()
				}
				if len(batch) > 0 {
					return batch
				}
				continue
			}
			run := 0
			for run < n && run < d.e.cfg.WebhookBatch && d.q[d.head+run].kind == evStatus {
				run++
			}
			full := run == d.e.cfg.WebhookBatch || run < n
			if fillBy.IsZero() && window > 0 {
				fillBy = now.Add(window)
			}
			if full || window <= 0 || !now.Before(fillBy) {
				batch := make([]event, 0, run+len(d.held))
				batch = append(batch, d.q[d.head:d.head+run]...)
				clear(d.q[d.head : d.head+run])
				d.head += run
				d.compact()
				batch = d.faults(batch)
				more := len(d.q) > d.head
				d.mu.Unlock()
				if more {
					d.signal()
				}
				if len(batch) > 0 {
					return batch
				}
				fillBy = time.Time{}
				continue
			}
			wait = fillBy.Sub(now)
		} else if len(d.held) > 0 {
			if now.Sub(d.heldAt) >= holdMax {
				batch := d.held
				d.held = nil
				d.mu.Unlock()
				return batch
			}
			wait = d.heldAt.Add(holdMax).Sub(now)
		}
		d.mu.Unlock()
		if wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.notify:
		case <-timer.C:
		}
	}
}

// compact reclaims the consumed head of the queue. Called with mu held.
func (d *dispatcher) compact() {
	if d.head == len(d.q) {
		d.q, d.head = d.q[:0], 0
	} else if d.head > 4096 && d.head > len(d.q)/2 {
		n := copy(d.q, d.q[d.head:])
		clear(d.q[n:])
		d.q, d.head = d.q[:n], 0
	}
}

// faults applies drops, duplicates and reordering to a batch about to be
// posted. A status picked for reordering is held back and posted right
// after the next status (in this batch or a later one, or alone once it has
// waited long enough). Called with mu held.
func (d *dispatcher) faults(batch []event) []event {
	f := d.e.Faults()
	if f.DropRate == 0 && f.DuplicateRate == 0 && f.ReorderRate == 0 && len(d.held) == 0 {
		return batch
	}
	kept := batch[:0]
	for _, ev := range batch {
		if ev.faulted {
			kept = append(kept, ev)
			continue
		}
		if f.DropRate > 0 && rand.Float64() < f.DropRate {
			d.e.stats.dropped.Add(1)
			continue
		}
		if !ev.dup && f.DuplicateRate > 0 && rand.Float64() < f.DuplicateRate {
			dup := ev
			dup.dup = true
			d.q = append(d.q, dup)
			d.e.stats.duplicated.Add(1)
		}
		kept = append(kept, ev)
	}
	if len(kept) == 0 || kept[0].kind != evStatus {
		return kept
	}
	out := make([]event, 0, len(kept)+len(d.held))
	for _, ev := range kept {
		switch {
		case len(d.held) > 0:
			out = append(out, ev)
			out = append(out, d.held...)
			d.held = nil
		case !ev.dup && !ev.faulted && f.ReorderRate > 0 && rand.Float64() < f.ReorderRate:
			d.held = append(d.held, ev)
			d.heldAt = time.Now()
			d.e.stats.reordered.Add(1)
		default:
			out = append(out, ev)
		}
	}
	if n := d.e.cfg.WebhookBatch; len(out) > n {
		// A released status made the batch too big: the rest goes first next time.
		rest := out[n:]
		for i := range rest {
			rest[i].faulted = true
		}
		d.q = append(append([]event(nil), rest...), d.q[d.head:]...)
		d.head = 0
		out = out[:n]
	}
	return out
}

// deliver posts the batch until the receiver answers 200 or ctx ends.
func (d *dispatcher) deliver(ctx context.Context, batch []event) {
	d.mu.Lock()
	d.inflight += len(batch)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inflight -= len(batch)
		d.mu.Unlock()
	}()
	body, err := d.payload(batch)
	if err != nil { // cannot happen with the wire types; never lose it silently
		d.e.log.Error("emulator: encode webhook", "err", err)
		d.e.stats.lost.Add(int64(len(batch)))
		return
	}
	sig := whatsapp.Sign(d.e.cfg.AppSecret, body)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d.e.stats.retries.Add(1)
			if !sleep(ctx, d.e.cfg.RedeliveryBackoff.after(attempt)) {
				d.lose(batch)
				return
			}
		}
		u, ok := d.waitURL(ctx)
		if !ok || !d.verify(ctx, u) {
			d.lose(batch)
			return
		}
		status, err := d.post(ctx, u, body, sig)
		if err == nil && status == http.StatusOK {
			d.e.stats.posts.Add(1)
			d.e.stats.events.Add(int64(len(batch)))
			return
		}
		d.e.stats.failedPosts.Add(1)
		if ctx.Err() != nil {
			d.lose(batch)
			return
		}
		d.e.log.Warn("emulator: webhook not acknowledged, will redeliver",
			"url", u, "status", status, "err", err, "attempt", attempt+1, "events", len(batch))
	}
}

func (d *dispatcher) lose(batch []event) {
	d.e.stats.lost.Add(int64(len(batch)))
	d.e.log.Warn("emulator: shutting down with undelivered webhook events", "events", len(batch))
}

func (d *dispatcher) post(ctx context.Context, u string, body []byte, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set(whatsapp.SignatureHeader, sig)
	resp, err := d.e.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// verify performs Meta's verification handshake against u once, retrying
// with back-off until the endpoint echoes the challenge (PROTOCOL §3.1).
func (d *dispatcher) verify(ctx context.Context, u string) bool {
	if d.e.cfg.VerifyToken == "" {
		return true
	}
	d.mu.Lock()
	ok := d.verified[u]
	d.mu.Unlock()
	for attempt := 1; !ok; attempt++ {
		err := d.handshake(ctx, u)
		if err == nil {
			d.mu.Lock()
			d.verified[u] = true
			d.mu.Unlock()
			d.e.log.Info("emulator: webhook endpoint verified", "url", u)
			return true
		}
		d.e.stats.verifyFailures.Add(1)
		d.e.log.Warn("emulator: webhook verification failed; nothing is delivered until it passes", "url", u, "err", err)
		if !sleep(ctx, d.e.cfg.RedeliveryBackoff.after(attempt)) {
			return false
		}
	}
	return true
}

func (d *dispatcher) handshake(ctx context.Context, u string) error {
	challenge := strconv.FormatUint(rand.Uint64N(1e12), 10)
	parsed, err := url.Parse(u)
	if err != nil {
		return err
	}
	q := parsed.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.challenge", challenge)
	q.Set("hub.verify_token", d.e.cfg.VerifyToken)
	parsed.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, parsed.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "facebookplatform/1.0 (+http://developers.facebook.com)")
	resp, err := d.e.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK || string(got) != challenge {
		return fmt.Errorf("GET answered %d %q, want 200 and the challenge %q", resp.StatusCode, trimLen(string(got), 64), challenge)
	}
	return nil
}

// payload encodes a batch as one webhook body.
func (d *dispatcher) payload(batch []event) ([]byte, error) {
	cfg := &d.e.cfg
	entry := whatsapp.Entry{ID: cfg.WABAID}
	var value any
	field := "messages"
	meta := whatsapp.Metadata{DisplayPhoneNumber: cfg.DisplayPhoneNumber, PhoneNumberID: cfg.PhoneNumberID}
	switch first := batch[0]; first.kind {
	case evStatus:
		v := whatsapp.MessagesValue{MessagingProduct: whatsapp.MessagingProduct, Metadata: meta,
			Statuses: make([]whatsapp.Status, len(batch))}
		for i := range batch {
			v.Statuses[i] = batch[i].status
		}
		value = v
	case evMessage:
		value = whatsapp.MessagesValue{MessagingProduct: whatsapp.MessagingProduct, Metadata: meta,
			Contacts: []whatsapp.Contact{*first.contact}, Messages: []whatsapp.InboundMessage{*first.message}}
	case evTemplate:
		field = "message_template_status_update"
		entry.Time = first.time
		value = first.template
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	// The envelope is written by hand around the value, in Meta's key order,
	// so that a batch of 1000 statuses is encoded once, not twice.
	b := make([]byte, 0, len(raw)+192)
	b = append(b, `{"object":"whatsapp_business_account","entry":[{"id":`...)
	b = strconv.AppendQuote(b, entry.ID)
	if entry.Time != 0 {
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, entry.Time, 10)
	}
	b = append(b, `,"changes":[{"value":`...)
	b = append(b, raw...)
	b = append(b, `,"field":`...)
	b = strconv.AppendQuote(b, field)
	b = append(b, "}]}]}"...)
	return b, nil
}

// sleep waits d or until ctx ends; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
