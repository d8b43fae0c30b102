package emulator

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

// fire runs a due job on the scheduler goroutine. A message moves through
// sent (or failed) → delivered → read (PROTOCOL §3.5): sent after
// StatusLatency, delivered StatusLatency later, read ReadAfter after that;
// a reaction only gets sent; with probability ReadWithoutDelivered the
// read status comes in place of delivered.
func (e *Emulator) fire(j job) {
	if j.epoch != e.epoch.Load() {
		return
	}
	if j.fn != nil {
		j.fn()
		return
	}
	r := j.rec
	now := e.now()
	switch j.stage {
	case stageSent:
		if r.failure != nil {
			e.emit(r, stFailed, now)
			return
		}
		e.emit(r, stSent, now)
		if r.typ != "reaction" {
			e.sched.add(job{due: delay(e.cfg.StatusLatency), epoch: j.epoch, rec: r, stage: stageDelivered})
		}
	case stageDelivered:
		if e.cfg.ReadAfter >= 0 {
			if p := e.Faults().ReadWithoutDelivered; p > 0 && rand.Float64() < p {
				e.emit(r, stRead, now)
				return
			}
		}
		e.emit(r, stDelivered, now)
		if e.cfg.ReadAfter >= 0 {
			e.sched.add(job{due: delay(e.cfg.ReadAfter), epoch: j.epoch, rec: r, stage: stageRead})
		}
	case stageRead:
		e.emit(r, stRead, now)
	}
}

// emit records a status and queues its webhook. The sent status carries the
// pricing (once per message) and the conversation with its expiration;
// delivered carries the conversation without it; read carries neither.
func (e *Emulator) emit(r *record, st uint32, now time.Time) {
	s := whatsapp.Status{
		ID:                    r.id,
		Status:                statusNames[st],
		Timestamp:             strconv.FormatInt(now.Unix(), 10),
		RecipientID:           r.waID,
		BizOpaqueCallbackData: r.bizOpaque,
	}
	switch st {
	case stSent:
		s.Conversation, s.Pricing = r.conv, r.pricing
	case stDelivered:
		s.Conversation = r.convNext
	case stFailed:
		s.Errors = []whatsapp.WebhookError{*r.failure.wire()}
	}
	r.advance(st)
	e.stats.statuses[st].Add(1)
	e.hooks.enqueue(event{kind: evStatus, status: s})
}
