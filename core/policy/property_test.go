package policy_test

import (
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"pgregory.net/rapid"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/guard"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/policy"
)

// TestPolicyProperties drives the data path with randomized streams of
// events, consent changes, customers' messages (keywords included), clock
// jumps, redeliveries and restarts, then checks the gate's promises over
// everything the fake Cloud API received:
//
//   - 0 marketing sends to a contact without a marketing opt-in in force
//     (opted out, or never opted in under the basis consent);
//   - 0 free-form messages outside the customer-service window;
//   - 0 sends over a cap (2 marketing per 24 h);
//   - 0 marketing sends inside quiet hours in the recipient's zone;
//   - 0 duplicate sends (a message reaches the API at most once);
//   - 0 distinct events dropped: every event a flow matches has its message,
//     and every message has a recorded decision.
//
// Under -short it runs 20 streams, else 100 (-rapid.checks overrides).
func TestPolicyProperties(t *testing.T) {
	t.Parallel()
	if f := flag.Lookup("rapid.checks"); testing.Short() && f != nil && f.Value.String() == f.DefValue {
		_ = f.Value.Set("20")
	}
	phones := []string{"+16505550101", "+5511912340101", "+442079460101", "+81312340101"}
	rapid.Check(t, func(rt *rapid.T) {
		cfg := testConfig()
		cfg.Guard.Caps[0].Action = rapid.SampledFrom([]string{"block", "defer"}).Draw(rt, "cap_action")
		h := newHarnessOn(t, rt, cfg)
		// What the stream did, to check against.
		type inboundAt struct {
			phone string
			at    time.Time
		}
		var says []inboundAt
		events := map[string]string{} // event key → flow expected
		n := rapid.IntRange(5, 40).Draw(rt, "ops")
		for i := range n {
			phone := rapid.SampledFrom(phones).Draw(rt, "phone")
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); op {
			case 0, 1, 2: // an event; sometimes a repeat of an earlier one
				kind := rapid.SampledFrom([]string{"promo.sent", "order.updated", "nudge", "note"}).Draw(rt, "kind")
				id := fmt.Sprintf("e%d", i)
				if rapid.IntRange(0, 4).Draw(rt, "repeat") == 0 && i > 0 {
					id = fmt.Sprintf("e%d", rapid.IntRange(0, i-1).Draw(rt, "of"))
				}
				key := "test:" + id
				if _, seen := events[key]; seen {
					break // the same source and id: an idempotent replay, not a new event
				}
				events[key] = map[string]string{"promo.sent": "promo", "order.updated": "update", "nudge": "nudge", "note": "note"}[kind]
				h.event(kind, id, phone, "P", "", map[string]any{"discount": "10", "order": id})
			case 3: // a consent change through the API
				h.consent(phone, rapid.SampledFrom([]string{consent.OptIn, consent.OptOut}).Draw(rt, "status"))
			case 4, 5: // the customer writes: words, keywords, the menu
				text := rapid.SampledFrom([]string{"hi", "STOP", "start", "menu", "Parar", "thanks"}).Draw(rt, "text")
				h.say(phone, text, nil, "", rapid.Bool().Draw(rt, "referral"))
				says = append(says, inboundAt{phone, h.clock.Now()})
			case 6, 7: // time passes
				h.clock.Advance(time.Duration(rapid.IntRange(1, 30*60).Draw(rt, "minutes")) * time.Minute)
			case 8: // a redelivery of something already handled
				topic := rapid.SampledFrom([]string{pipeline.TopicEvents, pipeline.TopicGate, pipeline.TopicOutbox, pipeline.TopicInbound}).Draw(rt, "topic")
				h.redeliver(topic, rapid.IntRange(0, 1000).Draw(rt, "pick"))
			case 9: // a restart
				h.restart()
			}
			h.pump()
		}
		// Let every deferral fall due.
		for range 4 {
			h.clock.Advance(24 * time.Hour)
			h.pump()
		}

		rules, _ := newRulesForCheck(cfg)
		perMessage := map[string]int{}
		marketingTo := map[string][]time.Time{}
		for _, s := range h.sends {
			perMessage[s.messageID]++
			if perMessage[s.messageID] > 1 {
				rt.Fatalf("message %s sent %d times", s.messageID, perMessage[s.messageID])
			}
			cid := h.contactID(s.req.To)
			switch s.req.Type {
			case "template":
				if s.req.Template.Name != "promo" {
					break
				}
				// The ledger as it was at the send (a STOP written at the
				// same instant, after the send, does not count).
				hist, err := consent.History(h.ctx, h.db.Reader(), cid)
				if err != nil {
					rt.Fatal(err)
				}
				hist = slices.DeleteFunc(hist, func(r consent.Record) bool { return r.ID > s.ledger })
				if got := consent.Derive(hist, s.at).Of(consent.Marketing).Status; got != consent.OptIn {
					decs, _ := policy.Decisions(h.ctx, h.db.Reader(), s.messageID)
					rt.Fatalf("marketing to %s at %s with consent %s\nledger: %+v\ndecisions: %+v", s.req.To, s.at, got, hist, decs)
				}
				loc := (&contacts.Contact{Phone: s.req.To}).Location(time.UTC)
				if quiet, _ := rules.Until(s.at, loc); quiet {
					rt.Fatalf("marketing to %s at %s: quiet hours in %s", s.req.To, s.at.In(loc), loc)
				}
				marketingTo[s.req.To] = append(marketingTo[s.req.To], s.at)
				var in24 int
				for _, t := range marketingTo[s.req.To] {
					if s.at.Sub(t) < 24*time.Hour {
						in24++
					}
				}
				if in24 > 2 {
					rt.Fatalf("%d marketing messages to %s within 24 h (cap 2)", in24, s.req.To)
				}
			default: // free-form: the customer must have written within 24 h
				open := false
				for _, w := range says {
					if w.phone == s.req.To && !s.at.Before(w.at) && s.at.Sub(w.at) < 24*time.Hour {
						open = true
					}
				}
				if !open {
					rt.Fatalf("free-form %s to %s at %s outside any window", s.req.Type, s.req.To, s.at)
				}
			}
		}
		// Every distinct event a flow matches made its message, and every
		// message has a decision.
		for key, flow := range events {
			var msgs int
			if err := h.db.Reader().QueryRow(`SELECT COUNT(*) FROM messages m JOIN events e ON e.id = m.event_id WHERE e.idem_key = ? AND m.flow = ?`, key, flow).Scan(&msgs); err != nil {
				rt.Fatal(err)
			}
			if msgs != 1 {
				rt.Fatalf("event %s (flow %s) has %d messages; want 1", key, flow, msgs)
			}
		}
		var undecided int
		if err := h.db.Reader().QueryRow(`SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.message_id = m.id)`).Scan(&undecided); err != nil {
			rt.Fatal(err)
		}
		if undecided != 0 {
			rt.Fatalf("%d messages without a decision", undecided)
		}
		// A free-form message sent must have been inside its exact window.
		checkExactWindows(rt, h)
	})
}

// checkExactWindows checks each free-form send against the stored
// customers' messages: one within the 24 h before the send, referral or
// not.
func checkExactWindows(rt *rapid.T, h *harness) {
	for _, s := range h.sends {
		if s.req.Type == "template" {
			continue
		}
		var n int
		err := h.db.Reader().QueryRow(`SELECT COUNT(*) FROM inbound_messages WHERE from_wa_id = ? AND sent_at <= ? AND sent_at > ?`,
			s.req.To[1:], s.at.UnixMilli(), s.at.Add(-24*time.Hour).UnixMilli()).Scan(&n)
		if err != nil {
			rt.Fatal(err)
		}
		if n == 0 {
			rt.Fatalf("free-form %s to %s at %s outside its window", s.req.Type, s.req.To, s.at)
		}
	}
}

// redeliver hands a topic's pick-th payload (modulo what it carried) to its
// handler again, as a lease expiry or a retry would.
func (h *harness) redeliver(topic string, pick int) {
	rows, err := h.db.Reader().QueryContext(h.ctx, `SELECT payload FROM pubsub_messages WHERE topic = ? ORDER BY id`, topic)
	if err != nil {
		h.t.Fatal(err)
	}
	var all []string
	for rows.Next() {
		var p []byte
		_ = rows.Scan(&p)
		all = append(all, string(p))
	}
	rows.Close()
	if len(all) == 0 {
		return
	}
	fn := map[string]func(*message.Message) error{
		pipeline.TopicEvents: h.router.Handle, pipeline.TopicGate: h.gate.Handle,
		pipeline.TopicOutbox: h.sender.Handle, pipeline.TopicInbound: h.conv.Handle,
	}[topic]
	h.handle(topic, fn, all[pick%len(all)])
}

func newRulesForCheck(c *config.Config) (guard.QuietHours, error) {
	return guard.NewQuietHours(c.Guard.QuietHours)
}
