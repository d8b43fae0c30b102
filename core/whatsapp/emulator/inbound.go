package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/parley-hub/parley/core/whatsapp"
)

// Inbound is a message the simulated customer sends to the business. Set
// exactly one of Text, ButtonReply, ListReply, Button and Reaction.
type Inbound struct {
	// From is the customer's phone number. Required.
	From string `json:"from"`
	// Name is the customer's profile name. Default "Test Customer".
	Name string `json:"name,omitempty"`
	// Text is a text message.
	Text string `json:"text,omitempty"`
	// ButtonReply is a tap on an interactive reply button.
	ButtonReply *whatsapp.ButtonReply `json:"button_reply,omitempty"`
	// ListReply is a pick from an interactive list.
	ListReply *whatsapp.Row `json:"list_reply,omitempty"`
	// Button is a tap on a template quick-reply button.
	Button *whatsapp.InboundButton `json:"button,omitempty"`
	// Reaction reacts to a business message.
	Reaction *whatsapp.Reaction `json:"reaction,omitempty"`
	// Context is the wamid of the business message replied to. For button
	// and list replies it defaults to the last message sent to the customer.
	Context string `json:"context,omitempty"`
	// Referral makes the message a click-to-WhatsApp ad entry (PROTOCOL
	// §3.4): the reply to it within 24 h opens a 72 h free entry point
	// window. Empty fields take the values of Meta's example.
	Referral *Referral `json:"referral,omitempty"`
}

// Referral is the referral object of a message that came from a
// click-to-WhatsApp ad.
type Referral struct {
	SourceURL      string          `json:"source_url,omitempty"`
	SourceID       string          `json:"source_id,omitempty"`
	SourceType     string          `json:"source_type,omitempty"`
	Body           string          `json:"body,omitempty"`
	Headline       string          `json:"headline,omitempty"`
	MediaType      string          `json:"media_type,omitempty"`
	ImageURL       string          `json:"image_url,omitempty"`
	CtwaClid       string          `json:"ctwa_clid,omitempty"`
	WelcomeMessage *WelcomeMessage `json:"welcome_message,omitempty"`
}

// WelcomeMessage is the ad's welcome message.
type WelcomeMessage struct {
	Text string `json:"text"`
}

func (r Referral) withDefaults(g *idGen) Referral {
	set := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	set(&r.SourceURL, "https://fb.me/3cr4Wqqkv")
	set(&r.SourceID, "120226305854810726")
	set(&r.SourceType, "ad")
	set(&r.Body, "Summer Succulents are here!")
	set(&r.Headline, "Chat with us")
	set(&r.MediaType, "image")
	set(&r.ImageURL, "https://scontent.xx.fbcdn.net/v/t45.1")
	set(&r.CtwaClid, "Aff-"+g.hex32())
	return r
}

// Say simulates the customer from (named name) sending text; see Receive.
func (e *Emulator) Say(ctx context.Context, from, name, text string) (string, error) {
	return e.Receive(ctx, Inbound{From: from, Name: name, Text: text})
}

// Receive simulates an inbound message: it opens (or renews) the
// customer's 24 h service window and queues a signed messages webhook with
// contacts and messages (PROTOCOL §3.3, §3.4). It returns the message's
// wamid. The webhook goes out once the emulator is started and has a
// webhook URL.
func (e *Emulator) Receive(ctx context.Context, in Inbound) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case <-e.done:
		return "", ErrClosed
	default:
	}
	from := waID(in.From)
	if from == "" {
		return "", fmt.Errorf("%w: from %q is not a phone number", ErrInvalidInput, in.From)
	}
	n := 0
	for _, set := range []bool{in.Text != "", in.ButtonReply != nil, in.ListReply != nil, in.Button != nil, in.Reaction != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", fmt.Errorf("%w: set exactly one of text, button_reply, list_reply, button and reaction", ErrInvalidInput)
	}
	name := in.Name
	if name == "" {
		name = "Test Customer"
	}
	now := e.now()
	id := e.ids.wamid(from, true)
	msg := &whatsapp.InboundMessage{From: from, ID: id, Timestamp: strconv.FormatInt(now.Unix(), 10)}
	switch {
	case in.Text != "":
		msg.Type, msg.Text = "text", &whatsapp.Text{Body: in.Text}
	case in.ButtonReply != nil:
		msg.Type = "interactive"
		msg.Interactive = &whatsapp.InboundInteractive{Type: "button_reply", ButtonReply: in.ButtonReply}
	case in.ListReply != nil:
		msg.Type = "interactive"
		msg.Interactive = &whatsapp.InboundInteractive{Type: "list_reply", ListReply: in.ListReply}
	case in.Button != nil:
		msg.Type, msg.Button = "button", in.Button
	case in.Reaction != nil:
		msg.Type, msg.Reaction = "reaction", in.Reaction
	}
	if in.Referral != nil {
		ref, err := json.Marshal(in.Referral.withDefaults(e.ids))
		if err != nil {
			return "", fmt.Errorf("%w: referral: %v", ErrInvalidInput, err)
		}
		msg.Referral = ref
	}
	replyTo := in.Context
	e.users.update(from, func(u *user) {
		u.lastInbound = now
		if in.Referral != nil {
			u.fepEligibleTill = now.Add(fepReplyWindow)
		}
		if replyTo == "" && msg.Type != "text" && msg.Type != "reaction" {
			replyTo = u.lastOutbound
		}
	})
	if replyTo != "" {
		msg.Context = &whatsapp.InboundContext{From: e.cfg.DisplayPhoneNumber, ID: replyTo}
	}
	raw, _ := json.Marshal(msg)
	rec := &record{id: id, inbound: true, input: in.From, waID: from, typ: msg.Type, body: raw, at: now}
	rec.status.Store(stReceived)
	e.msgs.put(rec)
	e.stats.inbound.Add(1)
	e.hooks.enqueue(event{
		kind:    evMessage,
		contact: &whatsapp.Contact{Profile: whatsapp.Profile{Name: name}, WaID: from},
		message: msg,
	})
	return id, nil
}
