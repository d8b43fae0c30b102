package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parley-hub/parley/core/whatsapp"
)

// TestWebhookSignature checks that every POST is signed over its exact
// bytes with the app secret.
func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.say(t, testPhone)
	h.mustSend(t, text(testPhone, "héllo \u00e9 <&>"))
	eventually(t, "webhooks", func() bool { return len(h.rcv.snapshot()) >= 2 })
	for i, p := range h.rcv.snapshot() {
		if !verifySig(testSecret, p.body, p.sig) {
			t.Errorf("POST %d: signature %q does not verify", i, p.sig)
		}
		if err := whatsapp.VerifySignature(testSecret, p.body, p.sig); err != nil {
			t.Errorf("POST %d: whatsapp.VerifySignature: %v", i, err)
		}
		if verifySig("other-secret", p.body, p.sig) {
			t.Errorf("POST %d: signature verifies with the wrong secret", i)
		}
		if p.payload.Object != "whatsapp_business_account" || len(p.payload.Entry) != 1 || p.payload.Entry[0].ID != DefaultWABAID {
			t.Errorf("POST %d: envelope %+v", i, p.payload)
		}
	}
}

// TestStatusLifecycle checks sent → delivered → read, with pricing once
// (on sent), the conversation (expiration on sent only), string
// timestamps, recipient_id and the echoed biz_opaque_callback_data.
func TestStatusLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) {
		c.Templates = []TemplateSeed{
			{Name: "fall_sale", Language: "en_US", Category: "MARKETING", Body: "Sale!"},
			{Name: "receipt", Language: "en_US", Category: "UTILITY", Body: "Receipt"},
		}
	})
	const other = "+16505550009" // no window with this one
	h.say(t, testPhone)
	withOpaque := text(testPhone, "hi")
	withOpaque["biz_opaque_callback_data"] = "order-42"
	tests := []struct {
		name    string
		body    map[string]any
		pricing whatsapp.Pricing
	}{
		{"free-form in window", withOpaque, pricing(false, "free_customer_service", "service")},
		{"marketing template", tmpl(testPhone, "fall_sale", "en_US"), pricing(true, "regular", "marketing")},
		{"utility template in window", tmpl(testPhone, "receipt", "en_US"), pricing(false, "free_customer_service", "utility")},
		{"utility template outside window", tmpl(other, "receipt", "en_US"), pricing(true, "regular", "utility")},
	}
	for _, tc := range tests {
		id := h.mustSend(t, tc.body)
		eventually(t, tc.name+": three statuses", func() bool { return len(h.rcv.statusesOf(t, id)) >= 3 })
		st := h.rcv.statusesOf(t, id)
		var names []string
		priced := 0
		for _, s := range st {
			names = append(names, s.Status)
			if _, err := whatsapp.UnixString(s.Timestamp); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if s.RecipientID != waID(tc.body["to"].(string)) {
				t.Errorf("%s: recipient_id %q", tc.name, s.RecipientID)
			}
			if want, _ := tc.body["biz_opaque_callback_data"].(string); s.BizOpaqueCallbackData != want {
				t.Errorf("%s: biz_opaque_callback_data %q, want %q", tc.name, s.BizOpaqueCallbackData, want)
			}
			if s.Pricing != nil {
				priced++
				if diff := cmp.Diff(tc.pricing, *s.Pricing); diff != "" {
					t.Errorf("%s: pricing (-want +got):\n%s", tc.name, diff)
				}
			}
		}
		if !slices.Equal(names, []string{"sent", "delivered", "read"}) {
			t.Errorf("%s: statuses %v", tc.name, names)
		}
		if priced != 1 {
			t.Errorf("%s: pricing on %d statuses, want 1", tc.name, priced)
		}
		sent, delivered, read := st[0], st[1], st[2]
		if sent.Conversation == nil || sent.Conversation.ExpirationTimestamp == "" || sent.Conversation.Origin == nil ||
			sent.Conversation.Origin.Type != tc.pricing.Category || len(sent.Conversation.ID) != 32 {
			t.Errorf("%s: sent conversation %+v", tc.name, sent.Conversation)
		}
		if delivered.Conversation == nil || delivered.Conversation.ExpirationTimestamp != "" || delivered.Conversation.ID != sent.Conversation.ID {
			t.Errorf("%s: delivered conversation %+v", tc.name, delivered.Conversation)
		}
		if read.Conversation != nil || read.Pricing != nil {
			t.Errorf("%s: read carries conversation or pricing: %+v", tc.name, read)
		}
		if m := h.e.Messages(MessageQuery{To: tc.body["to"].(string), Limit: 1}).Messages; len(m) != 1 || m[0].ID != id || m[0].Status != StatusRead {
			t.Errorf("%s: messages log %+v", tc.name, m)
		}
	}
}

func pricing(billable bool, typ, category string) whatsapp.Pricing {
	return whatsapp.Pricing{Billable: &billable, PricingModel: "PMP", Type: typ, Category: category}
}

// TestReactionOnlySent checks that a reaction gets a sent status and no
// other: a later message's read status arrives, the reaction's statuses
// stay one.
func TestReactionOnlySent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	in := h.say(t, testPhone)
	r := h.mustSend(t, map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "reaction",
		"reaction": map[string]any{"message_id": in, "emoji": "👍"}})
	later := h.mustSend(t, text(testPhone, "after the reaction"))
	eventually(t, "the later message's read", func() bool { return len(h.rcv.statusesOf(t, later)) == 3 })
	st := h.rcv.statusesOf(t, r)
	if len(st) != 1 || st[0].Status != "sent" {
		t.Fatalf("reaction statuses %+v, want only sent", st)
	}
}

// TestV24Conversation checks that v24+ omits the conversation object
// outside a free entry point window, and that a click-to-WhatsApp entry
// makes the reply a free entry point message.
func TestV24Conversation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ReadAfter = -1 })
	h.say(t, testPhone)
	status, out, _ := h.do(t, http.MethodPost, "/v25.0/"+DefaultPhoneNumberID+"/messages", text(testPhone, "v25"))
	if status != 200 {
		t.Fatalf("HTTP %d %s", status, out)
	}
	var resp whatsapp.SendResponse
	_ = json.Unmarshal(out, &resp)
	id := resp.Messages[0].ID
	eventually(t, "sent", func() bool { return len(h.rcv.statusesOf(t, id)) >= 1 })
	if s := h.rcv.statusesOf(t, id)[0]; s.Conversation != nil || s.Pricing == nil {
		t.Errorf("v25 sent status %+v: want pricing and no conversation", s)
	}

	const ad = "+16505550042"
	if _, err := h.e.Receive(context.Background(), Inbound{From: ad, Text: "Hello! Can I get more info on this?", Referral: &Referral{}}); err != nil {
		t.Fatal(err)
	}
	id = h.mustSend(t, text(ad, "Sure!"))
	eventually(t, "sent", func() bool { return len(h.rcv.statusesOf(t, id)) >= 1 })
	s := h.rcv.statusesOf(t, id)[0]
	if diff := cmp.Diff(pricing(false, "free_entry_point", "service"), *s.Pricing); diff != "" {
		t.Errorf("free entry point pricing (-want +got):\n%s", diff)
	}
	if s.Conversation == nil || s.Conversation.Origin.Type != "referral_conversion" {
		t.Errorf("free entry point conversation %+v", s.Conversation)
	}
}

// TestRedelivery makes the receiver answer 500 twice: the same signed bytes
// are posted again until a 200.
func TestRedelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ReadAfter = -1; c.StatusLatency = -1; c.WebhookBatchWindow = -1 })
	h.rcv.mu.Lock()
	h.rcv.respond = func(n int) int {
		if n < 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	h.rcv.mu.Unlock()
	id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
	eventually(t, "sent and delivered", func() bool { return len(h.rcv.statusesOf(t, id)) == 2 })
	st := h.e.Stats().Webhooks
	if st.FailedPosts != 2 || st.Retries < 2 {
		t.Errorf("webhook stats %+v, want 2 failed posts and retries", st)
	}
	h.rcv.mu.Lock()
	attempts := h.rcv.attempts
	h.rcv.mu.Unlock()
	if !bytes.Equal(attempts[0], attempts[1]) || !bytes.Equal(attempts[1], attempts[2]) {
		t.Errorf("redelivered bodies differ:\n%s\n%s\n%s", attempts[0], attempts[1], attempts[2])
	}
	eventually(t, "nothing pending", func() bool { return h.e.Stats().Webhooks.Pending == 0 })
}

// TestBatching sends many messages: their statuses arrive in fewer POSTs,
// none over WebhookBatch statuses.
func TestBatching(t *testing.T) {
	t.Parallel()
	const n, batch = 200, 25
	h := newHarness(t, func(c *Config) {
		c.WebhookBatch = batch
		c.WebhookBatchWindow = 20 * time.Millisecond
		c.ReadAfter = -1
		c.Throughput = Unlimited
	})
	for i := range n {
		h.mustSend(t, tmpl("+1650555"+strconv.Itoa(1000+i), "hello_world", "en_US"))
	}
	eventually(t, "all statuses", func() bool { return len(h.rcv.statuses(t)) == 2*n })
	posts := h.rcv.snapshot()
	for i, p := range posts {
		var v whatsapp.MessagesValue
		_ = json.Unmarshal(p.payload.Entry[0].Changes[0].Value, &v)
		if len(v.Statuses) == 0 || len(v.Statuses) > batch {
			t.Errorf("POST %d has %d statuses, want 1..%d", i, len(v.Statuses), batch)
		}
	}
	if len(posts) >= n {
		t.Errorf("%d statuses came in %d POSTs: not batched", 2*n, len(posts))
	}
	t.Logf("%d statuses in %d POSTs", 2*n, len(posts))
}

// TestWebhookFaults checks the duplicate, drop and reorder faults.
func TestWebhookFaults(t *testing.T) {
	t.Parallel()
	t.Run("duplicate", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.DuplicateRate = 1; c.ReadAfter = -1 })
		id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		eventually(t, "sent and delivered twice", func() bool { return len(h.rcv.statusesOf(t, id)) == 4 })
		count := map[string]int{}
		for _, s := range h.rcv.statusesOf(t, id) {
			count[s.Status]++
		}
		if count["sent"] != 2 || count["delivered"] != 2 {
			t.Errorf("statuses %v, want each twice", count)
		}
		if d := h.e.Stats().Webhooks.Duplicated; d != 2 {
			t.Errorf("duplicated = %d", d)
		}
	})
	t.Run("drop", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.DropRate = 1; c.ReadAfter = -1 })
		id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		eventually(t, "two drops", func() bool {
			s := h.e.Stats()
			return s.Webhooks.Dropped == 2 && s.Webhooks.Pending == 0
		})
		if st := h.rcv.statusesOf(t, id); len(st) != 0 {
			t.Errorf("dropped statuses arrived: %+v", st)
		}
		if m := h.e.Messages(MessageQuery{}).Messages[0]; m.Status != StatusDelivered {
			t.Errorf("the message log still knows the truth: status %q", m.Status)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.ReorderRate = 1 })
		id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		eventually(t, "three statuses", func() bool { return len(h.rcv.statusesOf(t, id)) == 3 })
		var names []string
		for _, s := range h.rcv.statusesOf(t, id) {
			names = append(names, s.Status)
		}
		if slices.Equal(names, []string{"sent", "delivered", "read"}) {
			t.Errorf("statuses arrived in order %v", names)
		}
		if h.e.Stats().Webhooks.Reordered == 0 {
			t.Error("no reorder counted")
		}
	})
	t.Run("read without delivered", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.ReadWithoutDelivered = 1 })
		id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		later := h.mustSend(t, tmpl("+16505550077", "hello_world", "en_US"))
		eventually(t, "read statuses", func() bool {
			return len(h.rcv.statusesOf(t, id)) == 2 && len(h.rcv.statusesOf(t, later)) == 2
		})
		if st := h.rcv.statusesOf(t, id); st[0].Status != "sent" || st[1].Status != "read" {
			t.Errorf("statuses %+v, want sent then read", st)
		}
	})
	t.Run("runtime change", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.ReadAfter = -1 })
		if err := h.e.SetFaults(Faults{DropRate: 2}); err == nil {
			t.Fatal("a rate of 2 was accepted")
		}
		if err := h.e.SetFaults(Faults{DropRate: 1}); err != nil {
			t.Fatal(err)
		}
		h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		eventually(t, "drops", func() bool { return h.e.Stats().Webhooks.Dropped == 2 })
	})
}

// TestWebhookURLLater queues webhooks until a URL is set.
func TestWebhookURLLater(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.WebhookURL = ""; c.ReadAfter = -1 })
	id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
	eventually(t, "statuses queued", func() bool { return h.e.Stats().Webhooks.Pending == 2 })
	if err := h.e.SetWebhookURL(h.rcv.srv.URL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "statuses delivered", func() bool { return len(h.rcv.statusesOf(t, id)) == 2 })
}

// TestVerifyHandshake checks Meta's GET handshake before any delivery.
func TestVerifyHandshake(t *testing.T) {
	t.Parallel()
	t.Run("verified", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.VerifyToken = "verify-me"; c.ReadAfter = -1 })
		h.rcv.mu.Lock()
		h.rcv.verify = "verify-me"
		h.rcv.mu.Unlock()
		id := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		eventually(t, "statuses", func() bool { return len(h.rcv.statusesOf(t, id)) == 2 })
		if h.rcv.gets.Load() == 0 {
			t.Error("no verification GET")
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.VerifyToken = "verify-me"; c.ReadAfter = -1 })
		h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		eventually(t, "verification failures", func() bool { return h.e.Stats().Webhooks.VerifyFailures >= 2 })
		if n := len(h.rcv.snapshot()); n != 0 {
			t.Errorf("%d POSTs to an unverified endpoint", n)
		}
	})
}

// TestTemplateCreateWebhook creates a template: PENDING, then APPROVED with
// a message_template_status_update whose id is a JSON number; it can then
// be sent. A control status change pauses it (132015).
func TestTemplateCreateWebhook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	wabaPath := "/v23.0/" + DefaultWABAID + "/message_templates"
	status, out, _ := h.do(t, http.MethodPost, wabaPath, map[string]any{
		"name": "order_confirmation", "language": "en_US", "category": "utility",
		"components": []any{map[string]any{"type": "BODY", "text": "Hi {{1}}, order {{2}} is confirmed.",
			"example": map[string]any{"body_text": [][]string{{"Pablo", "860198"}}}}},
	})
	if status != 200 {
		t.Fatalf("create: HTTP %d %s", status, out)
	}
	var created struct{ ID, Status, Category string }
	_ = json.Unmarshal(out, &created)
	if created.Status != "PENDING" || created.Category != "UTILITY" || created.ID == "" {
		t.Fatalf("create answered %s", out)
	}
	eventually(t, "the status webhook", func() bool { return len(h.rcv.changes("message_template_status_update")) == 1 })
	p := h.rcv.snapshot()[0]
	if p.payload.Entry[0].Time == 0 {
		t.Error("entry.time is not set")
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(p.payload.Entry[0].Changes[0].Value))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if n, ok := raw["message_template_id"].(json.Number); !ok || n.String() != created.ID {
		t.Errorf("message_template_id = %#v, want the JSON number %s", raw["message_template_id"], created.ID)
	}
	want := map[string]any{"event": "APPROVED", "message_template_id": json.Number(created.ID),
		"message_template_name": "order_confirmation", "message_template_language": "en_US", "reason": "NONE",
		"message_template_category": "UTILITY"}
	if diff := cmp.Diff(want, raw); diff != "" {
		t.Errorf("status update (-want +got):\n%s", diff)
	}
	h.mustSend(t, tmpl(testPhone, "order_confirmation", "en_US", bodyParams("Pablo", "860198")))

	ctl := &Control{BaseURL: h.srv.URL}
	if err := ctl.SetTemplateStatus(context.Background(), "order_confirmation", "en_US", "PAUSED"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the PAUSED webhook", func() bool { return len(h.rcv.changes("message_template_status_update")) == 2 })
	var upd whatsapp.TemplateStatusUpdate
	_ = json.Unmarshal(h.rcv.changes("message_template_status_update")[1].Value, &upd)
	if upd.Event != "PAUSED" || len(upd.OtherInfo) == 0 {
		t.Errorf("PAUSED update %+v", upd)
	}
	status, out = h.send(t, tmpl(testPhone, "order_confirmation", "en_US", bodyParams("Pablo", "860198")))
	if status != 400 {
		t.Fatalf("paused send: HTTP %d %s", status, out)
	}
	checkEnvelope(t, out, 132015)

	status, out, _ = h.do(t, http.MethodPost, wabaPath, map[string]any{"name": "order_confirmation", "language": "en_US", "category": "UTILITY",
		"components": []any{map[string]any{"type": "BODY", "text": "again"}}})
	if status != 400 {
		t.Fatalf("duplicate create: HTTP %d %s", status, out)
	}
	checkEnvelope(t, out, 100)

	status, out, _ = h.do(t, http.MethodDelete, wabaPath+"?name=order_confirmation", nil)
	if status != 200 || string(bytes.TrimSpace(out)) != `{"success":true}` {
		t.Fatalf("delete: HTTP %d %s", status, out)
	}
	status, out = h.send(t, tmpl(testPhone, "order_confirmation", "en_US", bodyParams("Pablo", "860198")))
	if status != 404 {
		t.Fatalf("send of a deleted template: HTTP %d %s", status, out)
	}
	checkEnvelope(t, out, 132001)
}

type webhookExample struct {
	Name    string          `json:"name"`
	Payload json.RawMessage `json:"payload"`
}

func loadWebhookExample(t *testing.T, name string) any {
	t.Helper()
	raw, err := os.ReadFile("testdata/openapi/webhook_examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var all []webhookExample
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	for _, ex := range all {
		if ex.Name == name {
			var v any
			_ = json.Unmarshal(ex.Payload, &v)
			return v
		}
	}
	t.Fatalf("no webhook example %q", name)
	return nil
}

// shape replaces every value by its JSON type, keeping the keys, so that
// two payloads compare by structure.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = shape(e)
		}
		return out
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

// TestInboundWebhookShape checks simulated customer messages against the
// shape of Meta's OpenAPI webhook examples, key for key.
func TestInboundWebhookShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		example string
		in      Inbound
	}{
		{"Text Message", Inbound{From: testPhone, Name: "Sheena Nelson", Text: "Does it come in another color?"}},
		{"Interactive Button Reply Message", Inbound{From: testPhone, ButtonReply: &whatsapp.ButtonReply{ID: "cancel-button", Title: "Cancel"}}},
		{"Interactive List Reply Message", Inbound{From: testPhone, ListReply: &whatsapp.Row{ID: "priority_express", Title: "Priority Mail Express", Description: "Next Day to 2 Days"}}},
		{"Button Message", Inbound{From: testPhone, Button: &whatsapp.InboundButton{Payload: "Unsubscribe", Text: "Unsubscribe"}}},
		{"Text Message from Click to WhatsApp Ad", Inbound{From: testPhone, Text: "Hello! Can I get more info on this?",
			Referral: &Referral{WelcomeMessage: &WelcomeMessage{Text: "Hi there! Let us know how we can help!"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.example, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			h.mustSend(t, tmpl(testPhone, "hello_world", "en_US")) // a message to reply to
			id, err := h.e.Receive(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var body []byte
			eventually(t, "the messages webhook", func() bool {
				for _, p := range h.rcv.snapshot() {
					if bytes.Contains(p.body, []byte(id)) {
						body = p.body
						return true
					}
				}
				return false
			})
			var got any
			_ = json.Unmarshal(body, &got)
			if diff := cmp.Diff(shape(loadWebhookExample(t, tc.example)), shape(got)); diff != "" {
				t.Errorf("webhook shape differs from Meta's example (-want +got):\n%s\n%s", diff, body)
			}
			var p whatsapp.WebhookPayload
			_ = json.Unmarshal(body, &p)
			var v whatsapp.MessagesValue
			_ = json.Unmarshal(p.Entry[0].Changes[0].Value, &v)
			if v.Contacts[0].WaID != testWaID || v.Messages[0].From != testWaID || v.Metadata.PhoneNumberID != DefaultPhoneNumberID {
				t.Errorf("ids: %+v", v)
			}
			if _, err := whatsapp.UnixString(v.Messages[0].Timestamp); err != nil {
				t.Error(err)
			}
		})
	}
}
