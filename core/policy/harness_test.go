package policy_test

// The harness runs Parley's data path in one goroutine, against a real
// SQLite store and a fake clock: events (ingest) → flows → gate → outbox →
// send (a fake Cloud API client), and webhooks → inbox → inbound →
// conversation. Instead of the router it pumps each topic's queue until
// nothing is left, so a test is deterministic: every step finishes before
// the next operation. It reads the queues straight from pubsub_messages
// (what the subscribers claim from), which ties it to that table's shape.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/conversation"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/flows"
	"github.com/parley-hub/parley/core/guard"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/inbox"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/window"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sent is one request the fake Cloud API accepted.
type sent struct {
	messageID string
	at        time.Time
	req       whatsapp.SendRequest
	// ledger is the consent ledger's last record id at the send: the
	// records the send could have known of.
	ledger int64
}

// fakeAPI is the Cloud API: it accepts everything, unless fail says
// otherwise.
type fakeAPI struct {
	mu   sync.Mutex
	n    int
	reqs []whatsapp.SendRequest
	fail func(req *whatsapp.SendRequest) error
}

func (f *fakeAPI) Send(_ context.Context, req *whatsapp.SendRequest) (*whatsapp.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(req); err != nil {
			return nil, err
		}
	}
	f.n++
	f.reqs = append(f.reqs, *req)
	return &whatsapp.SendResponse{
		Contacts: []whatsapp.ResponseContact{{Input: req.To, WaID: req.To[1:]}},
		Messages: []whatsapp.ResponseMessage{{ID: "wamid.out" + strconv.Itoa(f.n)}},
	}, nil
}

// harness is Parley's data path, pumped by hand.
type harness struct {
	t      failer
	ctx    context.Context
	db     *store.DB
	clock  *clock
	cfg    *config.Config
	api    *fakeAPI
	events *ingest.Events

	messages *delivery.Store
	contacts *contacts.Store
	router   *flows.Router
	gate     *policy.Gate
	sender   *delivery.Sender
	inbox    *inbox.Inbox
	conv     *conversation.Stage
	deferred *policy.Deferred
	expiring *window.Expiring

	cursors map[string]int64 // topic → last pubsub_messages id handled
	sends   []sent
	inbound int
}

// testConfig is the harness's policy: a marketing promo, a localized
// utility update, a free-text nudge with a template for a closed window,
// a free-text note with no template (agent-queue fallback), a menu and its
// next steps, caps and quiet hours.
func testConfig() *config.Config {
	c := config.Default()
	c.Templates = []config.Template{
		{Name: "promo", Category: "marketing", Language: "en_US", Body: "Sale! {{1}}% off"},
		{Name: "order_update", Category: "utility", Params: []config.TemplateParam{{Name: "order", Type: "text"}}, Variants: []config.TemplateVariant{
			{Language: "en_US", Body: "Order {{1}} updated"}, {Language: "pt_BR", Body: "Pedido {{1}} atualizado"}, {Language: "es", Body: "Pedido {{1}} actualizado"},
		}},
	}
	tpl := func(name string, params ...string) *config.FlowTemplate {
		return &config.FlowTemplate{Name: name, Params: params}
	}
	c.Flows = []config.Flow{
		{Name: "promo", On: config.Trigger{Type: "promo.sent"}, To: "contact.phone", Template: tpl("promo", "data.discount")},
		{Name: "update", On: config.Trigger{Type: "order.updated"}, To: "contact.phone", Template: tpl("order_update", "data.order")},
		{Name: "nudge", On: config.Trigger{Type: "nudge"}, To: "contact.phone", Text: "Still there, {{contact.name}}?",
			WhenClosed: &config.WhenClosed{Template: tpl("order_update", "data.order")}},
		{Name: "note", On: config.Trigger{Type: "note"}, To: "contact.phone", Text: "A note for {{contact.name}}"},
		{Name: "menu", On: config.Trigger{Type: config.EventMessageReceived, Conditions: []config.Condition{{Field: "data.text", Op: "matches", Value: "(?i)^menu$"}}},
			To: "contact.phone", Interactive: &config.Interactive{Type: "button", Body: "How can we help?", Options: []config.Option{
				{ID: "status", Title: "Order status", Next: "status"}, {ID: "human", Title: "A person", Next: "human"},
			}}},
		{Name: "status", On: config.Trigger{Type: "never"}, To: "contact.phone", Text: "Your order is on its way."},
		{Name: "human", On: config.Trigger{Type: "never"}, To: "contact.phone", Text: "Connecting you with a person.", Handoff: true},
	}
	c.Guard.Caps = []config.Cap{{Category: "marketing", Max: 2, Period: 24 * time.Hour, Action: "block"}}
	c.Escalation.Keywords = []string{"agent", "talk to a person"}
	return c
}

// failer is what the harness reports failures to: a *testing.T, or a
// *rapid.T inside a property.
type failer interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func newHarness(t testing.TB, cfg *config.Config) *harness { return newHarnessOn(t, t, cfg) }

// newHarnessOn makes the harness in t's temporary directory, reporting to f.
func newHarnessOn(t testing.TB, f failer, cfg *config.Config) *harness {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "p.db"), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{
		t: f, ctx: context.Background(), db: db, cfg: cfg, api: &fakeAPI{},
		clock:   &clock{t: time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)},
		cursors: map[string]int64{},
	}
	h.restart()
	return h
}

// restart builds every stage anew on the same database, as a restarted
// process does: in-memory state (the pair limiter, caches) is gone.
func (h *harness) restart() {
	h.t.Helper()
	now := h.clock.Now
	h.events = ingest.New(h.db, pipeline.TopicEvents)
	h.messages = delivery.NewStore(h.db)
	h.contacts = contacts.NewStore(h.db, contacts.Config{Now: now, MergeHooks: []contacts.MergeHook{window.MergeTx, handoff.MergeTx, policy.MergeTx}})
	reg := templates.NewRegistry(h.db, templates.Config{Templates: h.cfg.Templates, DefaultLocale: h.cfg.Contacts.DefaultLocale, Now: now})
	rules, err := policy.NewRules(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	pairs := guard.NewPairs(h.cfg.Guard.Pacing.PairInterval, h.cfg.Guard.Pacing.PairBurst)
	h.gate, err = policy.New(policy.Config{
		DB: h.db, Messages: h.messages, Contacts: h.contacts, Templates: reg, Rules: rules, Pairs: pairs,
		GateTopic: pipeline.TopicGate, OutboxTopic: pipeline.TopicOutbox, Now: now,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.router = flows.New(h.db, h.messages, h.cfg.Flows, pipeline.TopicGate).
		WithPolicy(&flows.Policy{Contacts: h.contacts, Templates: reg, DefaultLocale: h.cfg.Contacts.DefaultLocale})
	h.sender = delivery.NewSender(h.messages, h.api, slog.New(slog.DiscardHandler)).WithGuard(policy.NewPacing(h.db, nil, pairs).WithClock(now))
	h.inbox = inbox.New(h.db, h.messages, pipeline.TopicWebhooks, slog.New(slog.DiscardHandler)).
		WithInboundTopic(pipeline.TopicInbound).WithStatusHook(policy.StatusHookTx)
	h.conv = conversation.New(conversation.Config{
		DB: h.db, Contacts: h.contacts, Messages: h.messages, Events: h.events, Keywords: consent.NewKeywords(h.cfg.Consent.Keywords),
		StopPurposes: h.cfg.Consent.StopPurposes, Escalation: h.cfg.Escalation.Keywords, GateTopic: pipeline.TopicGate, Now: now,
	})
	h.deferred = policy.NewDeferred(h.db, policy.DeferredConfig{GateTopic: pipeline.TopicGate, Now: now})
	h.expiring = window.NewExpiring(h.db, h.events, window.ExpiringConfig{Before: h.cfg.Window.ExpiringBefore, Now: now})
}

// queued returns the payloads published on topic after the cursor.
func (h *harness) queued(topic string) []string {
	h.t.Helper()
	rows, err := h.db.Reader().QueryContext(h.ctx, `SELECT id, payload FROM pubsub_messages WHERE topic = ? AND id > ? ORDER BY id`, topic, h.cursors[topic])
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var p []byte
		if err := rows.Scan(&id, &p); err != nil {
			h.t.Fatal(err)
		}
		h.cursors[topic] = id
		out = append(out, string(p))
	}
	return out
}

// handle runs one handler on a payload, failing the test on an error.
func (h *harness) handle(topic string, fn func(*message.Message) error, payload string) {
	h.t.Helper()
	msg := message.NewMessage(watermill.NewUUID(), []byte(payload))
	msg.SetContext(h.ctx)
	before := h.api.n
	if err := fn(msg); err != nil {
		h.t.Fatalf("%s %s: %v", topic, payload, err)
	}
	if topic == pipeline.TopicOutbox && h.api.n > before {
		var ledger int64
		if err := h.db.Reader().QueryRow(`SELECT COALESCE(MAX(id), 0) FROM consent_records`).Scan(&ledger); err != nil {
			h.t.Fatal(err)
		}
		for i := before; i < h.api.n; i++ {
			h.sends = append(h.sends, sent{messageID: payload, at: h.clock.Now(), req: h.api.reqs[i], ledger: ledger})
		}
	}
}

// pump runs every stage until no topic has work, releasing due deferred
// messages on the way.
func (h *harness) pump() {
	h.t.Helper()
	stages := []struct {
		topic string
		fn    func(*message.Message) error
	}{
		{pipeline.TopicWebhooks, h.inbox.Handle},
		{pipeline.TopicInbound, h.conv.Handle},
		{pipeline.TopicEvents, h.router.Handle},
		{pipeline.TopicGate, h.gate.Handle},
		{pipeline.TopicOutbox, h.sender.Handle},
	}
	for range 100 {
		if _, err := h.deferred.Release(h.ctx); err != nil {
			h.t.Fatal(err)
		}
		if _, err := h.expiring.Fire(h.ctx); err != nil {
			h.t.Fatal(err)
		}
		busy := false
		for _, s := range stages {
			for _, p := range h.queued(s.topic) {
				busy = true
				h.handle(s.topic, s.fn, p)
			}
		}
		if !busy {
			return
		}
	}
	h.t.Fatal("pipeline does not settle")
}

// event posts a canonical event as POST /v1/events does.
func (h *harness) event(typ, id, phone, name, locale string, data map[string]any) {
	h.t.Helper()
	ev := map[string]any{"type": typ, "source": "test", "id": id, "contact": map[string]any{"phone": phone, "name": name}, "data": data}
	if locale != "" {
		ev["contact"].(map[string]any)["locale"] = locale
	}
	raw, _ := json.Marshal(ev)
	if _, err := h.events.Accept(h.ctx, raw, ""); err != nil {
		h.t.Fatal(err)
	}
}

// say delivers a customer's message as a signed webhook would, at the
// clock's time. Exactly one of text and reply is used; referral marks a
// click-to-WhatsApp entry. It returns the wamid.
func (h *harness) say(phone, text string, reply *whatsapp.ButtonReply, context string, referral bool) string {
	h.t.Helper()
	h.inbound++
	wamid := fmt.Sprintf("wamid.in%d", h.inbound)
	m := whatsapp.InboundMessage{From: phone[1:], ID: wamid, Timestamp: strconv.FormatInt(h.clock.Now().Unix(), 10), Type: "text"}
	if reply != nil {
		m.Type = "interactive"
		m.Interactive = &whatsapp.InboundInteractive{Type: "button_reply", ButtonReply: reply}
	} else {
		m.Text = &whatsapp.Text{Body: text}
	}
	if context != "" {
		m.Context = &whatsapp.InboundContext{ID: context}
	}
	if referral {
		m.Referral = json.RawMessage(`{"source_type":"ad","source_id":"1"}`)
	}
	value, _ := json.Marshal(whatsapp.MessagesValue{
		MessagingProduct: "whatsapp", Metadata: whatsapp.Metadata{DisplayPhoneNumber: "15550783881", PhoneNumberID: "106540352242922"},
		Contacts: []whatsapp.Contact{{Profile: whatsapp.Profile{Name: "Customer"}, WaID: phone[1:]}},
		Messages: []whatsapp.InboundMessage{m},
	})
	body, _ := json.Marshal(whatsapp.WebhookPayload{Object: whatsapp.WebhookObject, Entry: []whatsapp.Entry{{ID: "102290129340398", Changes: []whatsapp.Change{{Field: "messages", Value: value}}}}})
	if err := h.inbox.Accept(h.ctx, body, h.clock.Now()); err != nil {
		h.t.Fatal(err)
	}
	return wamid
}

// optIn records a marketing opt-in (or out) through the ledger, as the API
// does.
func (h *harness) consent(phone, status string) {
	h.t.Helper()
	err := h.db.Write(h.ctx, func(tx *store.Tx) error {
		id, err := h.contacts.ResolveTx(h.ctx, tx, contacts.Profile{Phone: phone})
		if err != nil {
			return err
		}
		_, err = consent.RecordTx(h.ctx, tx, consent.Record{
			ContactID: id, Channel: consent.ChannelWhatsApp, Purpose: consent.Marketing, Status: status,
			LawfulBasis: consent.BasisConsent, Source: consent.SourceAPI, Actor: "test", Evidence: json.RawMessage(`{"form":"test"}`),
		}, h.clock.Now())
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// decisions returns the decisions on the messages of a flow, in order.
func (h *harness) decisions(flow string) []policy.Record {
	h.t.Helper()
	rows, err := h.db.Reader().QueryContext(h.ctx, `SELECT id FROM messages WHERE flow = ? ORDER BY id`, flow)
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	var out []policy.Record
	for _, id := range ids {
		recs, err := policy.Decisions(h.ctx, h.db.Reader(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, recs...)
	}
	return out
}

// contactID returns the contact of a phone.
func (h *harness) contactID(phone string) string {
	h.t.Helper()
	id, err := contacts.Find(h.ctx, h.db.Reader(), contacts.KindPhone, phone)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}
