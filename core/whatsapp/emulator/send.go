package emulator

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

// maxSendBody bounds a send request body.
const maxSendBody = 1 << 20

// handleSend is POST /{version}/{phone-number-id}/messages (PROTOCOL §1).
func (e *Emulator) handleSend(w http.ResponseWriter, r *http.Request, c *call) {
	if c.node != e.cfg.PhoneNumberID {
		e.writeError(w, c, unknownObject(r.Method, c.node))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSendBody))
	if err != nil {
		e.writeError(w, c, errorf(100, "Could not read the request body: %v", err))
		return
	}
	var req whatsapp.SendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		e.writeError(w, c, errorf(100, "The request body is not valid JSON for a message: %v", err))
		return
	}
	if req.Status != "" || req.TypingIndicator != nil {
		e.markRead(w, c, &req)
		return
	}
	o, aerr := e.validate(&req)
	if aerr != nil {
		e.writeError(w, c, aerr)
		return
	}
	if f := e.Faults(); f.FaultRate > 0 && rand.Float64() < f.FaultRate {
		e.stats.faults.Add(1)
		e.injectFault(w, r, c, f.FaultKinds[rand.IntN(len(f.FaultKinds))], &req, o, body)
		return
	}
	resp, aerr := e.accept(&req, o, body, c.version)
	if aerr != nil {
		e.writeError(w, c, aerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// accept applies the window and the rate limits, records the message and
// schedules its statuses. It takes one user-shard lock for a few field
// updates; nothing here does I/O.
func (e *Emulator) accept(req *whatsapp.SendRequest, o *outbound, body []byte, version string) (*whatsapp.SendResponse, *apiError) {
	now := e.now()
	ns := now.UnixNano()
	id := e.ids.wamid(o.waID, false)
	rec := &record{
		id: id, input: o.input, waID: o.waID, typ: o.typ, template: o.template, body: body,
		at: now, version: version, bizOpaque: req.BizOpaqueCallbackData, failure: o.failure,
	}
	var aerr *apiError
	var reactTo string
	if req.Reaction != nil {
		reactTo = req.Reaction.MessageID
	}
	e.users.update(o.waID, func(u *user) {
		inWindow := u.inWindow(now)
		if o.category == "" && !inWindow {
			aerr = errorf(131047, "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
			return
		}
		if e.cfg.Throughput > 0 && !e.tput.allowAtomic(&e.throughput, ns) {
			aerr = errorf(130429, "Cloud API message throughput has been reached.")
			return
		}
		if !e.cfg.PairLimit.Disabled && !e.pair.allow(&u.pairTAT, ns) {
			aerr = errorf(131056, "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.")
			return
		}
		switch {
		case u.notOnWhatsApp:
			f := webhookError(131026, "")
			rec.failure = &f
		case o.category == "MARKETING" && u.marketingOptOut:
			f := webhookError(131050, "")
			rec.failure = &f
		}
		// A reply to a click-to-WhatsApp entry opens a free entry point window.
		if !now.Before(u.fepTill) && now.Before(u.fepEligibleTill) && rec.failure == nil {
			u.fepTill, u.fepConvID, u.fepEligibleTill = now.Add(entryPointWindow), e.ids.hex32(), time.Time{}
		}
		e.price(rec, u, o.category, inWindow, now)
		u.lastOutbound = id
	})
	if aerr != nil {
		return nil, aerr
	}
	if reactTo != "" && rec.failure == nil {
		rec.failure = e.checkReactionTarget(reactTo, o.waID, now)
	}
	e.msgs.put(rec)
	count(&e.stats.accepted, o.typ)
	e.sched.add(job{due: delay(e.cfg.StatusLatency), epoch: e.epoch.Load(), rec: rec, stage: stageSent})
	return &whatsapp.SendResponse{
		MessagingProduct: whatsapp.MessagingProduct,
		Contacts:         []whatsapp.ResponseContact{{Input: o.input, WaID: o.waID}},
		Messages:         []whatsapp.ResponseMessage{{ID: id}},
	}, nil
}

// price sets the pricing and conversation objects of a message's statuses
// (PROTOCOL §3.5; conversation per v23, or v24+ when the path version says so).
func (e *Emulator) price(rec *record, u *user, category string, inWindow bool, now time.Time) {
	if rec.failure != nil {
		return
	}
	cat := strings.ToLower(category)
	if cat == "" {
		cat = "service"
	}
	inFEP := now.Before(u.fepTill)
	free := false
	p := &whatsapp.Pricing{PricingModel: "PMP", Category: cat}
	switch {
	case inFEP:
		p.Type, free = "free_entry_point", true
	case cat == "service" || (cat == "utility" && inWindow):
		p.Type, free = "free_customer_service", true
	default:
		p.Type = "regular"
	}
	billable := !free
	p.Billable = &billable
	rec.pricing = p

	conv := &whatsapp.Conversation{ID: "", Origin: &whatsapp.ConversationOrigin{Type: cat}}
	var expires time.Time
	switch {
	case inFEP:
		conv.ID, conv.Origin.Type, expires = u.fepConvID, "referral_conversion", u.fepTill
	case inWindow:
		conv.ID, expires = e.ids.hex32(), u.lastInbound.Add(serviceWindow)
	default:
		conv.ID, expires = e.ids.hex32(), now.Add(serviceWindow)
	}
	if major(rec.version) >= 24 && !inFEP {
		return // v24+: no conversation object outside a free entry point window
	}
	next := *conv
	conv.ExpirationTimestamp = strconv.FormatInt(expires.Unix(), 10)
	rec.conv, rec.convNext = conv, &next
}

// major returns the major number of a path version ("v23.0" -> 23), or 0.
func major(version string) int {
	v, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, _ := strconv.Atoi(v)
	return n
}

// checkReactionTarget returns the asynchronous 131009 of a reaction to a
// message that is unknown, older than 30 days, itself a reaction, or in
// another chat (PROTOCOL §1.2).
func (e *Emulator) checkReactionTarget(target, waID string, now time.Time) *webhookErr {
	t := e.msgs.get(target)
	var why string
	switch {
	case t == nil:
		why = "the message reacted to does not exist"
	case t.typ == "reaction":
		why = "the message reacted to is itself a reaction"
	case t.waID != waID:
		why = "the message reacted to is in another chat"
	case now.Unix()-t.at.Unix() > reactionMaxAge:
		why = "the message reacted to is older than 30 days"
	default:
		return nil
	}
	f := webhookError(131009, "Message failed to send because "+why+".")
	return &f
}

// markRead answers a read receipt, with or without a typing indicator
// (PROTOCOL §1.4).
func (e *Emulator) markRead(w http.ResponseWriter, c *call, req *whatsapp.SendRequest) {
	var aerr *apiError
	switch {
	case req.MessagingProduct == "":
		aerr = errorf(100, "The parameter messaging_product is required.")
	case req.MessagingProduct != whatsapp.MessagingProduct:
		aerr = errorf(100, "Param messaging_product must be one of {WHATSAPP} - got %q.", req.MessagingProduct)
	case req.Status != "read":
		aerr = errorf(100, "Param status must be one of {READ} - got %q.", req.Status)
	case req.MessageID == "":
		aerr = errorf(131008, "The parameter message_id is required.")
	case !strings.HasPrefix(req.MessageID, "wamid."):
		aerr = errorf(100, "Param message_id %q is not a valid message id.", trimLen(req.MessageID, 40))
	case req.TypingIndicator != nil && req.TypingIndicator.Type != "text":
		aerr = errorf(131009, "Param typing_indicator.type must be one of {TEXT} - got %q.", req.TypingIndicator.Type)
	}
	if aerr == nil {
		if t := e.msgs.get(req.MessageID); t != nil && !t.inbound {
			aerr = errorf(131009, "message_id %s is a message the business sent; only received messages can be marked as read.", req.MessageID)
		}
	}
	if aerr != nil {
		e.writeError(w, c, aerr)
		return
	}
	e.stats.readReceipts.Add(1)
	writeJSON(w, http.StatusOK, success)
}

// injectFault answers a send with an injected fault.
func (e *Emulator) injectFault(w http.ResponseWriter, r *http.Request, c *call, kind FaultKind, req *whatsapp.SendRequest, o *outbound, body []byte) {
	switch kind {
	case FaultServerError:
		e.writeError(w, c, &apiError{code: 2})
	case FaultTimeout:
		e.hang(r)
		e.writeError(w, c, &apiError{code: 2})
	case FaultTimeoutAfterAccept:
		resp, aerr := e.accept(req, o, body, c.version)
		e.hang(r)
		if aerr != nil {
			e.writeError(w, c, aerr)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	default:
		code, _ := strconv.Atoi(string(kind))
		e.writeError(w, c, &apiError{code: code})
	}
}

// hang holds a request until the client gives up, the emulator closes, or
// FaultHang passes.
func (e *Emulator) hang(r *http.Request) {
	t := time.NewTimer(e.cfg.FaultHang)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-e.done:
	case <-t.C:
	}
}
