package policy_test

import (
	"testing"
	"time"

	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/window"
)

func last(t *testing.T, recs []policy.Record) policy.Record {
	t.Helper()
	if len(recs) == 0 {
		t.Fatal("no decision recorded")
	}
	return recs[len(recs)-1]
}

func (h *harness) lastSend(t *testing.T) whatsapp.SendRequest {
	t.Helper()
	if len(h.sends) == 0 {
		t.Fatal("nothing sent")
	}
	return h.sends[len(h.sends)-1].req
}

func TestScenarioStop(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig())
	const ana = "+5511912345678"
	h.consent(ana, consent.OptIn)
	h.say(ana, "Stop!", nil, "", false)
	h.pump()

	// The opt-out is on the ledger, from the keyword, with its evidence.
	st, err := consent.Current(h.ctx, h.db.Reader(), h.contactID(ana), h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Of(consent.Marketing); s.Status != consent.OptOut || s.Record.Source != consent.SourceKeyword {
		t.Fatalf("marketing = %+v; want opt_out from keyword", s)
	}
	// The confirmation went out, in the contact's words (English: STOP is in the en set).
	if r := h.lastSend(t); r.Type != "text" || r.To != ana || r.Text.Body != consent.BuiltinKeywords[0].StopReply {
		t.Fatalf("confirmation = %+v", r)
	}
	// Marketing is blocked, with the reason; utility still goes.
	n := len(h.sends)
	h.event("promo.sent", "p1", ana, "Ana", "", map[string]any{"discount": "20"})
	h.event("order.updated", "o1", ana, "Ana", "", map[string]any{"order": "1001"})
	h.pump()
	if d := last(t, h.decisions("promo")); d.Outcome != policy.Block || d.Reason != policy.ReasonOptedOut {
		t.Errorf("promo decision = %s %s; want block %s", d.Outcome, d.Reason, policy.ReasonOptedOut)
	}
	if len(h.sends) != n+1 || h.lastSend(t).Template.Name != "order_update" {
		t.Errorf("sends after stop = %d (last %+v); want only the utility update", len(h.sends)-n, h.lastSend(t))
	}
	// A redelivered STOP records nothing new and confirms nothing twice.
	hist, _ := consent.History(h.ctx, h.db.Reader(), h.contactID(ana))
	h.restart()
	h.cursors[pipelineInbound] = 0
	h.pump()
	hist2, _ := consent.History(h.ctx, h.db.Reader(), h.contactID(ana))
	if len(hist2) != len(hist) || len(h.sends) != n+1 {
		t.Errorf("redelivery: ledger %d→%d, sends %d→%d", len(hist), len(hist2), n+1, len(h.sends))
	}
}

const pipelineInbound = "inbound"

func TestScenarioLocales(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig())
	for _, tc := range []struct{ phone, locale, want string }{
		{"+5511912345678", "pt_BR", "pt_BR"},
		{"+525512345678", "es_MX", "es"},
		{"+16505551234", "", "en_US"},
		{"+4915112345678", "de_DE", "en_US"},
	} {
		h.event("order.updated", "o-"+tc.phone, tc.phone, "X", tc.locale, map[string]any{"order": "7"})
		h.pump()
		if got := h.lastSend(t).Template.Language.Code; got != tc.want || h.lastSend(t).To != tc.phone {
			t.Errorf("locale %q: sent %s to %s; want %s", tc.locale, got, h.lastSend(t).To, tc.want)
		}
	}
}

func TestScenarioWindow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig())
	const bo = "+16505550001"
	// Closed window: the nudge's free text becomes its template.
	h.event("nudge", "n1", bo, "Bo", "", map[string]any{"order": "9"})
	h.pump()
	if d := last(t, h.decisions("nudge")); d.Outcome != policy.SendTemplate || d.Reason != policy.ReasonWindowTemplate {
		t.Fatalf("nudge decision = %s %s", d.Outcome, d.Reason)
	}
	if r := h.lastSend(t); r.Type != "template" || r.Template.Name != "order_update" {
		t.Fatalf("sent %+v; want the order_update template", r)
	}
	// No template: the recorded fallback is the agent queue.
	h.event("note", "x1", bo, "Bo", "", nil)
	h.pump()
	if d := last(t, h.decisions("note")); d.Outcome != policy.Fallback || d.Reason != policy.ReasonWindowFallback || d.Fallback == nil || !d.Fallback.Handoff {
		t.Fatalf("note decision = %+v", d)
	}
	entries, err := handoff.NewStore(h.db).List(h.ctx, "", h.contactID(bo), 0)
	if err != nil || len(entries) != 1 || entries[0].Reason != handoff.ReasonFallback {
		t.Fatalf("queue = %+v, %v; want one fallback entry", entries, err)
	}
	// Once the customer writes, free text goes as it is; 24 h later it does not.
	if _, err := handoff.NewStore(h.db).HandBack(h.ctx, h.contactID(bo), "test"); err != nil {
		t.Fatal(err)
	}
	h.say(bo, "hello", nil, "", false)
	h.event("nudge", "n2", bo, "Bo", "", map[string]any{"order": "9"})
	h.pump()
	if r := h.lastSend(t); r.Type != "text" {
		t.Fatalf("inside the window sent %+v; want text", r)
	}
	h.clock.Advance(24 * time.Hour)
	h.event("nudge", "n3", bo, "Bo", "", map[string]any{"order": "9"})
	h.pump()
	if r := h.lastSend(t); r.Type != "template" {
		t.Fatalf("24 h later sent %+v; want the template", r)
	}
	// A referral starts a 72 h free entry point period, but the 24 h window
	// still governs what may be sent (PROTOCOL §5; the platform answers 131047).
	h.say(bo, "hi from the ad", nil, "", true)
	h.clock.Advance(48 * time.Hour)
	h.event("nudge", "n4", bo, "Bo", "", map[string]any{"order": "9"})
	h.pump()
	if r := h.lastSend(t); r.Type != "template" {
		t.Fatalf("48 h after a referral sent %+v; want the template", r)
	}
	w, err := window.Get(h.ctx, h.db.Reader(), h.contactID(bo), h.clock.Now())
	if err != nil || w.Open || w.EntryPointUntil.IsZero() || !h.clock.Now().Before(w.EntryPointUntil) {
		t.Fatalf("window = %+v, %v; want closed, inside its entry point period", w, err)
	}
}

func TestScenarioMenuAndEscalation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig())
	const cy = "+16505550002"
	h.say(cy, "menu", nil, "", false)
	h.pump()
	menu := h.lastSend(t)
	if menu.Type != "interactive" || len(menu.Interactive.Action.Buttons) != 2 {
		t.Fatalf("menu = %+v", menu)
	}
	// The reply names the menu message; its option leads to the status step.
	var menuWamid string
	if err := h.db.Reader().QueryRow(`SELECT wamid FROM messages WHERE flow = 'menu'`).Scan(&menuWamid); err != nil {
		t.Fatal(err)
	}
	h.say(cy, "", &whatsapp.ButtonReply{ID: "status", Title: "Order status"}, menuWamid, false)
	h.pump()
	if r := h.lastSend(t); r.Type != "text" || r.Text.Body != "Your order is on its way." {
		t.Fatalf("after the status reply sent %+v", r)
	}
	// An escalation keyword pauses the bot: the menu no longer answers.
	h.say(cy, "Talk to a person", nil, "", false)
	h.pump()
	paused, err := handoff.Paused(h.ctx, h.db.Reader(), h.contactID(cy))
	if err != nil || !paused {
		t.Fatalf("paused = %v, %v; want true", paused, err)
	}
	n := len(h.sends)
	h.say(cy, "menu", nil, "", false)
	h.pump()
	if len(h.sends) != n {
		t.Fatalf("the bot answered while paused: %+v", h.lastSend(t))
	}
	// Handed back, the bot answers again.
	if _, err := handoff.NewStore(h.db).HandBack(h.ctx, h.contactID(cy), "agent-1"); err != nil {
		t.Fatal(err)
	}
	h.say(cy, "menu", nil, "", false)
	h.pump()
	if len(h.sends) != n+1 || h.lastSend(t).Type != "interactive" {
		t.Fatalf("after hand-back sent %d", len(h.sends)-n)
	}
}
