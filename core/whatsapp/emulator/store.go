package emulator

import (
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

// Message statuses as reported by Messages: the webhook statuses plus
// "accepted" (200 returned, no status yet) and, for inbound messages,
// "received".
const (
	StatusAccepted  = "accepted"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
	StatusReceived  = "received"
)

var statusNames = [...]string{StatusAccepted, StatusSent, StatusDelivered, StatusRead, StatusFailed, StatusReceived}

const (
	stAccepted uint32 = iota
	stSent
	stDelivered
	stRead
	stFailed
	stReceived
)

// record is one message the emulator accepted or simulated. Everything but
// status is written before the record is published and read-only after.
type record struct {
	seq       uint64
	id        string
	inbound   bool
	input     string // "to" as the caller sent it; the sender for inbound
	waID      string
	typ       string
	template  string // template name
	body      []byte // request body (outbound) or webhook message (inbound)
	at        time.Time
	version   string
	bizOpaque string
	failure   *webhookErr // set: the message fails asynchronously with it
	pricing   *whatsapp.Pricing
	conv      *whatsapp.Conversation // conversation of the sent status (with expiration)
	convNext  *whatsapp.Conversation // conversation of later statuses (without)
	status    atomic.Uint32
}

// advance moves the status forward; it never goes back.
func (r *record) advance(to uint32) {
	for {
		cur := r.status.Load()
		if cur >= to && cur != stAccepted {
			return
		}
		if r.status.CompareAndSwap(cur, to) {
			return
		}
	}
}

// Message is a message as listed by GET /_emulator/messages.
type Message struct {
	// ID is the wamid.
	ID string `json:"id"`
	// Direction is "outbound" (sent by the business) or "inbound" (simulated customer).
	Direction string `json:"direction"`
	// To is the recipient exactly as the send request gave it (outbound), or
	// the sender (inbound).
	To string `json:"to"`
	// WaID is the user's WhatsApp id (digits).
	WaID string `json:"wa_id"`
	// Type is the message type (text, template, ...).
	Type string `json:"type"`
	// Template is the template name of a template message.
	Template string `json:"template,omitempty"`
	// Status is accepted, sent, delivered, read, failed, or received (inbound).
	Status string `json:"status"`
	// Error is the asynchronous error of a failed message.
	Error *whatsapp.WebhookError `json:"error,omitempty"`
	// Time is when the emulator accepted (or simulated) the message.
	Time time.Time `json:"time"`
	// Request is the send request body (outbound) or the webhook message
	// object (inbound), verbatim.
	Request json.RawMessage `json:"request"`
}

// MessageQuery filters Messages. Zero fields match everything.
type MessageQuery struct {
	// To matches the recipient's wa_id (any formatting of the number works).
	To string
	// Type matches the message type.
	Type string
	// Status matches the current status.
	Status string
	// Direction is "outbound" (default), "inbound" or "all".
	Direction string
	// Limit keeps only the newest Limit matches; 0 keeps all.
	Limit int
}

// MessageList is the answer of Messages: Count matches, of which Messages
// holds the newest Limit in the order they were accepted.
type MessageList struct {
	Count    int       `json:"count"`
	Messages []Message `json:"messages"`
}

func (r *record) message() Message {
	m := Message{
		ID: r.id, Direction: "outbound", To: r.input, WaID: r.waID, Type: r.typ, Template: r.template,
		Status: statusNames[r.status.Load()], Time: r.at, Request: json.RawMessage(r.body),
	}
	if r.inbound {
		m.Direction = "inbound"
	}
	if r.failure != nil && m.Status == StatusFailed {
		m.Error = r.failure.wire()
	}
	return m
}

// store remembers the newest records, sharded by wamid so that concurrent
// sends rarely meet on a lock.
type store struct {
	seq    atomic.Uint64
	shards [32]storeShard
}

type storeShard struct {
	mu       sync.Mutex
	m        map[string]*record
	ring     []*record // oldest at next once full
	next     int
	capacity int
	_        [32]byte
}

func newStore(size int) *store {
	s := &store{}
	per := max(1, (size+len(s.shards)-1)/len(s.shards))
	for i := range s.shards {
		s.shards[i].m = make(map[string]*record)
		s.shards[i].capacity = per
	}
	return s
}

// put assigns the record its sequence number and stores it, forgetting the
// shard's oldest record when full.
func (s *store) put(r *record) {
	r.seq = s.seq.Add(1)
	sh := &s.shards[fnv32(r.id)%uint32(len(s.shards))]
	sh.mu.Lock()
	if len(sh.ring) < sh.capacity {
		sh.ring = append(sh.ring, r)
	} else {
		delete(sh.m, sh.ring[sh.next].id)
		sh.ring[sh.next] = r
		sh.next = (sh.next + 1) % len(sh.ring)
	}
	sh.m[r.id] = r
	sh.mu.Unlock()
}

func (s *store) get(id string) *record {
	sh := &s.shards[fnv32(id)%uint32(len(s.shards))]
	sh.mu.Lock()
	r := sh.m[id]
	sh.mu.Unlock()
	return r
}

func (s *store) query(q MessageQuery) MessageList {
	to := ""
	if q.To != "" {
		if to = waID(q.To); to == "" {
			to = q.To
		}
	}
	var hits []*record
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, r := range sh.ring {
			switch {
			case q.Direction == "inbound" && !r.inbound,
				(q.Direction == "" || q.Direction == "outbound") && r.inbound,
				to != "" && r.waID != to,
				q.Type != "" && r.typ != q.Type,
				q.Status != "" && statusNames[r.status.Load()] != q.Status:
				continue
			}
			hits = append(hits, r)
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(hits, func(a, b *record) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	list := MessageList{Count: len(hits), Messages: []Message{}}
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[len(hits)-q.Limit:]
	}
	for _, r := range hits {
		list.Messages = append(list.Messages, r.message())
	}
	return list
}

func (s *store) reset() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]*record)
		sh.ring = sh.ring[:0]
		sh.next = 0
		sh.mu.Unlock()
	}
}

func (w *webhookErr) wire() *whatsapp.WebhookError {
	return &whatsapp.WebhookError{
		Code: w.code, Title: w.title, Message: w.title,
		ErrorData: &whatsapp.ErrorData{Details: w.details}, Href: errorsHref,
	}
}
