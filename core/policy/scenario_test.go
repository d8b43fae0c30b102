package policy_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
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

func TestScenarioWindowExpiring(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Flows = append(cfg.Flows, config.Flow{Name: "last_call", On: config.Trigger{Type: config.EventWindowExpiring}, To: "contact.phone", Text: "Anything else before we close?"})
	h := newHarness(t, cfg)
	const di = "+16505550003"
	h.say(di, "hi", nil, "", false)
	h.pump()
	h.clock.Advance(22 * time.Hour)
	h.pump()
	if len(h.sends) != 0 {
		t.Fatalf("window.expiring fired 2 h before closing: %+v", h.sends)
	}
	h.clock.Advance(90 * time.Minute) // 30 minutes left
	h.pump()
	h.pump()
	if len(h.sends) != 1 || h.lastSend(t).Type != "text" {
		t.Fatalf("sends = %+v; want the last call, as free text", h.sends)
	}
	// It fires once per window, across restarts; a renewed window fires again.
	h.restart()
	h.pump()
	h.say(di, "one more thing", nil, "", false)
	h.clock.Advance(23*time.Hour + 10*time.Minute)
	h.pump()
	if len(h.sends) != 2 {
		t.Fatalf("sends = %d; want one more for the renewed window", len(h.sends))
	}
}

// TestScenarioConnectorConsentAndDirect: a connector's consent.updated
// event lands in the ledger; a direct API text is decided like any other
// message (here: no window, so blocked with the reason).
func TestScenarioConnectorConsentAndDirect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig())
	const ed = "+442079460004" // London: 13:00 is outside quiet hours
	h.event("consent.updated", "c1", ed, "Ed", "", map[string]any{"channel": "whatsapp", "state": "subscribed", "consent_updated_at": "2026-11-25T12:00:00Z"})
	h.event("promo.sent", "p1", ed, "Ed", "", map[string]any{"discount": "5"})
	h.pump()
	if d := last(t, h.decisions("promo")); d.Outcome != policy.Send {
		t.Fatalf("promo after a connector opt-in = %s %s", d.Outcome, d.Reason)
	}
	hist, _ := consent.History(h.ctx, h.db.Reader(), h.contactID(ed))
	if len(hist) != 1 || hist[0].Source != consent.SourceConnector || hist[0].Actor != "connector:test" {
		t.Fatalf("ledger = %+v", hist)
	}
	// A replay of the event records nothing new.
	h.event("consent.updated", "c1", ed, "Ed", "", map[string]any{"channel": "whatsapp", "state": "subscribed"})
	h.pump()
	if again, _ := consent.History(h.ctx, h.db.Reader(), h.contactID(ed)); len(again) != 1 {
		t.Fatalf("replay added to the ledger: %d records", len(again))
	}

	var id string
	err := h.db.Write(h.ctx, func(tx *store.Tx) error {
		var err error
		id, _, err = h.messages.EnqueueTx(h.ctx, tx, delivery.NewMessage{Request: whatsapp.NewText(ed, "hello from an agent")}, pipeline.TopicGate)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h.pump()
	recs, _ := policy.Decisions(h.ctx, h.db.Reader(), id)
	if d := last(t, recs); d.Outcome != policy.Block || d.Reason != policy.ReasonWindowClosed || d.Actor != policy.OriginAPI || d.ContactID != h.contactID(ed) {
		t.Fatalf("direct text = %+v", d)
	}
}

// TestScenarioPlatformAnswers: a 131056 defers the message to its
// recipient's back-off without holding anyone else; a 131050, in a failed
// status webhook, records a marketing opt-out.
func TestScenarioPlatformAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig())
	const fay, gus = "+442079460005", "+442079460006"
	throttled := 0
	h.api.fail = func(req *whatsapp.SendRequest) error {
		if req.To == fay && throttled == 0 {
			throttled++
			return &whatsapp.APIError{HTTPStatus: 400, Graph: whatsapp.GraphError{Code: 131056, Message: "pair rate limit"}}
		}
		return nil
	}
	h.event("order.updated", "o1", fay, "Fay", "", map[string]any{"order": "1"})
	h.event("order.updated", "o2", gus, "Gus", "", map[string]any{"order": "2"})
	h.pump()
	if len(h.sends) != 1 || h.sends[0].req.To != gus {
		t.Fatalf("sends = %+v; want only gus's (fay's is deferred)", h.sends)
	}
	recs := h.decisions("update")
	var deferred *policy.Record
	for i := range recs {
		if recs[i].Reason == policy.ReasonPairThrottled {
			deferred = &recs[i]
		}
	}
	if deferred == nil || deferred.DeferUntil == nil || deferred.DeferUntil.Sub(h.clock.Now()) != time.Second {
		t.Fatalf("decisions = %+v; want a defer after 131056 of 1 s", recs)
	}
	h.clock.Advance(2 * time.Second)
	h.pump()
	if len(h.sends) != 2 || h.sends[1].req.To != fay {
		t.Fatalf("after the back-off sends = %d; want fay's too", len(h.sends))
	}

	// 131050 arrives as a failed status for a sent promo.
	h.consent(gus, consent.OptIn)
	h.event("promo.sent", "p1", gus, "Gus", "", map[string]any{"discount": "5"})
	h.pump()
	var wamid string
	if err := h.db.Reader().QueryRow(`SELECT wamid FROM messages WHERE flow = 'promo'`).Scan(&wamid); err != nil {
		t.Fatal(err)
	}
	value, _ := json.Marshal(whatsapp.MessagesValue{MessagingProduct: "whatsapp", Metadata: whatsapp.Metadata{PhoneNumberID: "106540352242922"},
		Statuses: []whatsapp.Status{{ID: wamid, Status: "failed", Timestamp: strconv.FormatInt(h.clock.Now().Unix(), 10), RecipientID: gus[1:],
			Errors: []whatsapp.WebhookError{{Code: 131050, Title: "User has stopped marketing messages"}}}}})
	body, _ := json.Marshal(whatsapp.WebhookPayload{Object: whatsapp.WebhookObject, Entry: []whatsapp.Entry{{ID: "1", Changes: []whatsapp.Change{{Field: "messages", Value: value}}}}})
	if err := h.inbox.Accept(h.ctx, body, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.pump()
	st, _ := consent.Current(h.ctx, h.db.Reader(), h.contactID(gus), h.clock.Now())
	if s := st.Of(consent.Marketing); s.Status != consent.OptOut || s.Record.Source != consent.SourcePlatform {
		t.Fatalf("marketing after 131050 = %+v", s)
	}
}
