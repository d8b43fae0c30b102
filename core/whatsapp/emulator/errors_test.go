package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parley-hub/parley/core/whatsapp"
)

// TestSendErrors runs each synchronous error path and checks the exact
// Graph envelope (PROTOCOL §2.1) and HTTP status (§2.3).
func TestSendErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 4097)
	rows := make([]map[string]any, 11)
	for i := range rows {
		rows[i] = map[string]any{"id": fmt.Sprint("r", i), "title": fmt.Sprint("Row ", i)}
	}
	buttons := make([]map[string]any, 4)
	for i := range buttons {
		buttons[i] = map[string]any{"type": "reply", "reply": map[string]any{"id": fmt.Sprint("b", i), "title": fmt.Sprint("B", i)}}
	}
	seeds := []TemplateSeed{
		{Name: "order_shipped", Language: "en_US", Body: "Hi {{1}}, order {{2}} shipped."},
		{Name: "order_named", Language: "en_US", Body: "Hi {{first_name}}, order {{order_number}} shipped."},
		{Name: "promo_paused", Language: "en_US", Category: "MARKETING", Body: "Sale!", Status: "PAUSED"},
		{Name: "promo_disabled", Language: "en_US", Category: "MARKETING", Body: "Sale!", Status: "DISABLED"},
		{Name: "promo_pending", Language: "en_US", Category: "MARKETING", Body: "Sale!", Status: "PENDING"},
		{Name: "with_image", Language: "en_US", HeaderFormat: "IMAGE", Body: "Your receipt"},
	}
	tests := []struct {
		name       string
		cfg        func(*Config)
		setup      func(t *testing.T, h *harness)
		path       string // default sendPath
		auth       string // default the right token; "-" for none
		body       any
		sends      int // send the body this many times, check the last; default 1
		code       int
		httpStatus int
	}{
		{name: "190 no token", auth: "-", body: tmpl(testPhone, "hello_world", "en_US"), code: 190, httpStatus: 401},
		{name: "190 wrong token", auth: "Bearer nope", body: tmpl(testPhone, "hello_world", "en_US"), code: 190, httpStatus: 401},
		{name: "100 unknown phone number id", path: "/v23.0/999/messages", body: tmpl(testPhone, "hello_world", "en_US"), code: 100, httpStatus: 400},
		{name: "100 unsupported version", path: "/v23/" + DefaultPhoneNumberID + "/messages", body: tmpl(testPhone, "hello_world", "en_US"), code: 100, httpStatus: 400},
		{name: "100 missing messaging_product", body: map[string]any{"to": testPhone, "type": "text", "text": map[string]any{"body": "hi"}}, code: 100, httpStatus: 400},
		{name: "100 unknown type", body: map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "hologram"}, code: 100, httpStatus: 400},
		{name: "100 malformed JSON", body: `{"messaging_product":`, code: 100, httpStatus: 400},
		{name: "100 unknown media id", setup: openWindow, body: map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "image", "image": map[string]any{"id": "123"}}, code: 100, httpStatus: 400},
		{name: "131008 text without body", setup: openWindow, body: map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "text", "text": map[string]any{}}, code: 131008, httpStatus: 400},
		{name: "131009 text too long", setup: openWindow, body: text(testPhone, long), code: 131009, httpStatus: 400},
		{name: "131009 media id and link", setup: openWindow, body: map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "image", "image": map[string]any{"id": "1", "link": "https://x.test/a.jpg"}}, code: 131009, httpStatus: 400},
		{name: "131009 four reply buttons", setup: openWindow, body: map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "interactive",
			"interactive": map[string]any{"type": "button", "body": map[string]any{"text": "Pick"}, "action": map[string]any{"buttons": buttons}}}, code: 131009, httpStatus: 400},
		{name: "131009 eleven list rows", setup: openWindow, body: map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "interactive",
			"interactive": map[string]any{"type": "list", "body": map[string]any{"text": "Pick"}, "action": map[string]any{"button": "Menu",
				"sections": []any{map[string]any{"title": "All", "rows": rows}}}}}, code: 131009, httpStatus: 400},
		{name: "131021 recipient is the sender", body: tmpl("+"+DefaultDisplayPhoneNumber, "hello_world", "en_US"), code: 131021, httpStatus: 400},
		{name: "131047 free-form without window", body: text(testPhone, "hi"), code: 131047, httpStatus: 400},
		{name: "130429 throughput", cfg: func(c *Config) { c.Throughput = 2; c.Clock = newFakeClock().Now },
			body: tmpl(testPhone, "hello_world", "en_US"), sends: 3, code: 130429, httpStatus: 400},
		{name: "130429 throughput as 429", cfg: func(c *Config) { c.Throughput = 1; c.ThrottleHTTPStatus = 429; c.Clock = newFakeClock().Now },
			body: tmpl(testPhone, "hello_world", "en_US"), sends: 2, code: 130429, httpStatus: 429},
		{name: "131056 pair limit", cfg: func(c *Config) {
			c.PairLimit = PairLimit{Interval: 6 * time.Second, Burst: 3}
			c.Clock = newFakeClock().Now
		},
			body: tmpl(testPhone, "hello_world", "en_US"), sends: 4, code: 131056, httpStatus: 400},
		{name: "132000 too few body params", body: tmpl(testPhone, "order_shipped", "en_US", bodyParams("Jo")), code: 132000, httpStatus: 400},
		{name: "132000 params for a template without", body: tmpl(testPhone, "hello_world", "en_US", bodyParams("Jo")), code: 132000, httpStatus: 400},
		{name: "132000 missing media header", body: tmpl(testPhone, "with_image", "en_US"), code: 132000, httpStatus: 400},
		{name: "132000 unknown named param", body: tmpl(testPhone, "order_named", "en_US", map[string]any{"type": "body", "parameters": []any{
			map[string]any{"type": "text", "parameter_name": "first_name", "text": "Jo"},
			map[string]any{"type": "text", "parameter_name": "order_id", "text": "A1"}}}), code: 132000, httpStatus: 400},
		{name: "132001 unknown template", body: tmpl(testPhone, "no_such", "en_US"), code: 132001, httpStatus: 404},
		{name: "132001 wrong language", body: tmpl(testPhone, "hello_world", "pt_BR"), code: 132001, httpStatus: 404},
		{name: "132001 pending template", body: tmpl(testPhone, "promo_pending", "en_US"), code: 132001, httpStatus: 404},
		{name: "132005 hydrated body too long", body: tmpl(testPhone, "order_shipped", "en_US", bodyParams(long[:600], long[:600])), code: 132005, httpStatus: 400},
		{name: "132012 positional params for a named template", body: tmpl(testPhone, "order_named", "en_US", bodyParams("Jo", "A1")), code: 132012, httpStatus: 400},
		{name: "132012 named params for a positional template", body: tmpl(testPhone, "order_shipped", "en_US", map[string]any{"type": "body", "parameters": []any{
			map[string]any{"type": "text", "parameter_name": "a", "text": "Jo"},
			map[string]any{"type": "text", "parameter_name": "b", "text": "A1"}}}), code: 132012, httpStatus: 400},
		{name: "132012 header format", body: tmpl(testPhone, "with_image", "en_US", map[string]any{"type": "header", "parameters": []any{
			map[string]any{"type": "text", "text": "x"}}}), code: 132012, httpStatus: 400},
		{name: "132015 paused template", body: tmpl(testPhone, "promo_paused", "en_US"), code: 132015, httpStatus: 400},
		{name: "132016 disabled template", body: tmpl(testPhone, "promo_disabled", "en_US"), code: 132016, httpStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) {
				c.Templates = seeds
				if tc.cfg != nil {
					tc.cfg(c)
				}
			})
			if tc.setup != nil {
				tc.setup(t, h)
			}
			path, auth := tc.path, tc.auth
			if path == "" {
				path = sendPath
			}
			switch auth {
			case "":
				auth = "Bearer " + testToken
			case "-":
				auth = ""
			}
			var status int
			var out []byte
			var hdr http.Header
			for range max(tc.sends, 1) {
				status, out, hdr = h.doAuth(t, http.MethodPost, path, tc.body, auth)
			}
			if status != tc.httpStatus {
				t.Errorf("HTTP %d, want %d: %s", status, tc.httpStatus, out)
			}
			checkEnvelope(t, out, tc.code)
			if hdr.Get("x-fb-trace-id") == "" || hdr.Get("x-fb-request-id") == "" {
				t.Errorf("missing x-fb-trace-id / x-fb-request-id headers: %v", hdr)
			}
			if got := h.e.Stats().Rejected[fmt.Sprint(tc.code)]; got != 1 {
				t.Errorf("stats rejected[%d] = %d, want 1", tc.code, got)
			}
		})
	}
}

func openWindow(t *testing.T, h *harness) { h.say(t, testPhone) }

// checkEnvelope checks a Graph error body field by field, with no unknown
// fields.
func checkEnvelope(t *testing.T, body []byte, code int) whatsapp.GraphError {
	t.Helper()
	var env whatsapp.ErrorEnvelope
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	g := env.Error
	want := whatsapp.GraphError{
		Message: fmt.Sprintf("(#%d) %s", code, graphErrors[code].title), Type: "OAuthException", Code: code,
		ErrorSubcode: g.ErrorSubcode, FBTraceID: g.FBTraceID,
		ErrorData: &whatsapp.ErrorData{MessagingProduct: "whatsapp", Details: detailsOf(g)},
	}
	if code == 190 {
		want.Message, want.ErrorData = "Invalid OAuth access token - Cannot parse access token", nil
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("error envelope (-want +got):\n%s", diff)
	}
	if len(g.FBTraceID) < 20 {
		t.Errorf("fbtrace_id %q too short", g.FBTraceID)
	}
	if code != 190 && detailsOf(g) == "" {
		t.Errorf("error_data.details is empty")
	}
	return g
}

func detailsOf(g whatsapp.GraphError) string {
	if g.ErrorData == nil {
		return ""
	}
	return g.ErrorData.Details
}

// TestWindowExpires moves the clock past 24 h: free-form sends then fail
// with 131047 until the customer writes again.
func TestWindowExpires(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	h := newHarness(t, func(c *Config) { c.Clock = clock.Now; c.PairLimit.Disabled = true })
	h.say(t, testPhone)
	h.mustSend(t, text(testPhone, "inside the window"))
	clock.Add(23*time.Hour + 59*time.Minute)
	h.mustSend(t, text(testPhone, "still inside"))
	clock.Add(2 * time.Minute)
	status, out := h.send(t, text(testPhone, "outside"))
	if status != http.StatusBadRequest {
		t.Fatalf("HTTP %d %s, want 400", status, out)
	}
	checkEnvelope(t, out, 131047)
	h.mustSend(t, tmpl(testPhone, "hello_world", "en_US")) // templates still go
	h.say(t, testPhone)
	h.mustSend(t, text(testPhone, "window reopened"))
}

// TestPairLimitRefills checks the steady rate after a burst.
func TestPairLimitRefills(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	h := newHarness(t, func(c *Config) { c.Clock = clock.Now; c.PairLimit = PairLimit{Interval: 6 * time.Second, Burst: 2} })
	msg := tmpl(testPhone, "hello_world", "en_US")
	h.mustSend(t, msg)
	h.mustSend(t, msg)
	if status, out := h.send(t, msg); status != 400 {
		t.Fatalf("third send: HTTP %d %s, want 131056", status, out)
	}
	clock.Add(6 * time.Second)
	h.mustSend(t, msg)
	h.mustSend(t, tmpl("+16505550000", "hello_world", "en_US")) // another user is not limited
}

// TestAsyncFailures checks failures that come as failed statuses after a
// 200: not on WhatsApp (131026), marketing opt-out (131050), a reaction to
// an unknown message (131009), a link that cannot be downloaded (131053).
func TestAsyncFailures(t *testing.T) {
	t.Parallel()
	const gone, optedOut = "+16505550001", "+16505550002"
	h := newHarness(t, func(c *Config) {
		c.NotOnWhatsApp = []string{gone}
		c.MarketingOptOut = []string{optedOut}
		c.Templates = []TemplateSeed{{Name: "fall_sale", Language: "en_US", Category: "MARKETING", Body: "Sale!"}}
	})
	h.say(t, testPhone)
	tests := []struct {
		name string
		body any
		code int
	}{
		{"131026 not on WhatsApp", tmpl(gone, "hello_world", "en_US"), 131026},
		{"131050 marketing opt-out", tmpl(optedOut, "fall_sale", "en_US"), 131050},
		{"131009 reaction to an unknown message", map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "reaction",
			"reaction": map[string]any{"message_id": "wamid.nope", "emoji": "👍"}}, 131009},
		{"131053 undownloadable link", map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "image",
			"image": map[string]any{"link": "not a url"}}, 131053},
	}
	for _, tc := range tests {
		id := h.mustSend(t, tc.body)
		eventually(t, tc.name+" failed status", func() bool { return len(h.rcv.statusesOf(t, id)) > 0 })
		st := h.rcv.statusesOf(t, id)
		if len(st) != 1 || st[0].Status != "failed" || len(st[0].Errors) != 1 {
			t.Fatalf("%s: statuses %+v, want one failed", tc.name, st)
		}
		e := st[0].Errors[0]
		if e.Code != tc.code || e.Title != graphErrors[tc.code].title || e.Message != e.Title ||
			e.ErrorData == nil || e.ErrorData.Details == "" || e.Href == "" {
			t.Errorf("%s: error %+v", tc.name, e)
		}
		if st[0].Pricing != nil || st[0].Conversation != nil {
			t.Errorf("%s: a failed status carries no pricing or conversation: %+v", tc.name, st[0])
		}
		list := h.e.Messages(MessageQuery{To: tc.body.(map[string]any)["to"].(string), Status: StatusFailed})
		if list.Count == 0 || list.Messages[len(list.Messages)-1].Error.Code != tc.code {
			t.Errorf("%s: /_emulator/messages does not show the failure: %+v", tc.name, list)
		}
	}
}

// TestFaultInjection checks FaultRate with each kind of fault.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind       FaultKind
		code, http int
	}{
		{FaultServerError, 2, 503},
		{FaultCode(131000), 131000, 500},
		{FaultCode(130429), 130429, 400},
		{FaultCode(131056), 131056, 400},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.FaultRate = 1; c.FaultKinds = []FaultKind{tc.kind} })
			status, out := h.send(t, tmpl(testPhone, "hello_world", "en_US"))
			if status != tc.http {
				t.Errorf("HTTP %d, want %d", status, tc.http)
			}
			checkEnvelope(t, out, tc.code)
			if n := h.e.Stats().FaultsInjected; n != 1 {
				t.Errorf("faults injected = %d", n)
			}
			if err := h.e.SetFaults(Faults{}); err != nil {
				t.Fatal(err)
			}
			h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
		})
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) {
			c.FaultRate = 1
			c.FaultKinds = []FaultKind{FaultTimeout}
			c.FaultHang = time.Millisecond
		})
		status, out := h.send(t, tmpl(testPhone, "hello_world", "en_US"))
		if status != 503 {
			t.Errorf("HTTP %d, want 503 after the hang", status)
		}
		checkEnvelope(t, out, 2)
		if n := h.e.Messages(MessageQuery{}).Count; n != 0 {
			t.Errorf("a timeout fault accepted %d messages", n)
		}
	})
	t.Run("timeout after accept", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) {
			c.FaultRate = 1
			c.FaultKinds = []FaultKind{FaultTimeoutAfterAccept}
			c.FaultHang = time.Hour
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+sendPath,
			strings.NewReader(`{"messaging_product":"whatsapp","to":"+16505551234","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`))
		req.Header.Set("Authorization", "Bearer "+testToken)
		errc := make(chan error, 1)
		go func() {
			resp, err := h.srv.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		eventually(t, "the message accepted", func() bool { return h.e.Messages(MessageQuery{}).Count == 1 })
		cancel() // the client gives up: it never learns the wamid
		if err := <-errc; err == nil {
			t.Fatal("the response arrived despite the hang")
		}
		list := h.e.Messages(MessageQuery{})
		id := list.Messages[0].ID
		eventually(t, "statuses of the accepted message", func() bool { return len(h.rcv.statusesOf(t, id)) >= 3 })
	})
}

// TestMarkRead checks read receipts and the typing indicator.
func TestMarkRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	in := h.say(t, testPhone)
	for _, body := range []map[string]any{
		{"messaging_product": "whatsapp", "status": "read", "message_id": in},
		{"messaging_product": "whatsapp", "status": "read", "message_id": in, "typing_indicator": map[string]any{"type": "text"}},
	} {
		status, out := h.send(t, body)
		if status != 200 || string(bytes.TrimSpace(out)) != `{"success":true}` {
			t.Fatalf("HTTP %d %s", status, out)
		}
	}
	out := h.mustSend(t, tmpl(testPhone, "hello_world", "en_US"))
	status, body := h.send(t, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": out})
	if status != 400 {
		t.Fatalf("marking an outbound message read: HTTP %d %s", status, body)
	}
	checkEnvelope(t, body, 131009)
	if n := h.e.Stats().ReadReceipts; n != 2 {
		t.Errorf("read receipts = %d, want 2", n)
	}
}
