package hub

// End to end through the policy gate: Parley runs in process (Run, sandbox
// mode) with its embedded Cloud API emulator; the test talks to both over
// HTTP only, as a client and a customer would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

const policyConfig = `mode: sandbox
data_dir: %s
server: {addr: "127.0.0.1:0"}
emulator: {addr: "127.0.0.1:0", status_latency: 5ms, read_after: 0s}
log: {level: warn}
escalation: {keywords: [agent, talk to a person]}
guard:
  quiet_hours: {enabled: false}
templates:
  - name: promo
    category: marketing
    language: en_US
    body: "Sale: {{1}}%% off"
  - name: order_update
    category: utility
    params: [{name: order}]
    variants:
      - {language: en_US, body: "Order {{1}} updated"}
      - {language: pt_BR, body: "Pedido {{1}} atualizado"}
      - {language: es, body: "Pedido {{1}} actualizado"}
flows:
  - name: promo
    on: {type: promo.sent}
    template: {name: promo, params: [data.discount]}
  - name: update
    on: {type: order.updated}
    template: {name: order_update, params: [data.order]}
  - name: nudge
    on: {type: nudge}
    text: "Still there, {{contact.name}}?"
    when_closed:
      template: {name: order_update, params: [data.order]}
  - name: note
    on: {type: note}
    text: "A note for {{contact.name}}"
  - name: menu
    on:
      type: message.received
      conditions: [{field: data.text, op: matches, value: "(?i)^menu$"}]
    interactive:
      type: list
      body: "How can we help?"
      options:
        - {id: status, title: "Order status", next: status}
        - {id: returns, title: "Returns", next: returns}
  - name: status
    on: {type: menu.step}
    text: "Your order is on its way."
  - name: returns
    on: {type: menu.step}
    text: "Returns are free within 30 days."
%s`

type running struct {
	t    *testing.T
	info Info
	emu  *emulator.Control
	file string
}

func startPolicyHub(t *testing.T, extraFlows string) *running {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end: starts Parley and its emulator")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "parley.yaml")
	if err := os.WriteFile(file, fmt.Appendf(nil, policyConfig, filepath.Join(dir, "data"), extraFlows), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{File: file, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Info, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- Run(ctx, cfg, Options{Log: log, Ready: func(i Info) { ready <- i }, ConfigFile: file})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case info := <-ready:
		return &running{t: t, info: info, emu: &emulator.Control{BaseURL: info.EmulatorURL}, file: file}
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Parley did not start")
	}
	return nil
}

func (r *running) call(method, path string, body any, out any) int {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.info.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.info.APIKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

func (r *running) event(typ, id, phone, locale string, data map[string]any) {
	r.t.Helper()
	contact := map[string]any{"phone": phone, "name": "Ana"}
	if locale != "" {
		contact["locale"] = locale
	}
	if code := r.call("POST", "/v1/events", map[string]any{"type": typ, "source": "test", "id": id, "contact": contact, "data": data}, nil); code != http.StatusAccepted {
		r.t.Fatalf("POST /v1/events: %d", code)
	}
}

// message waits until the message of flow for event source id has a
// decision (and, when sent, a wamid) and returns it.
type apiMessage struct {
	ID       string          `json:"id"`
	Flow     string          `json:"flow"`
	Status   string          `json:"status"`
	WAMID    string          `json:"wamid"`
	Request  json.RawMessage `json:"request"`
	Decision *struct {
		Outcome  string `json:"outcome"`
		Reason   string `json:"reason"`
		Purpose  string `json:"purpose"`
		Basis    string `json:"lawful_basis"`
		Language string `json:"language"`
	} `json:"decision"`
}

func (r *running) waitMessage(flow string, n int) apiMessage {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Data []apiMessage `json:"data"`
		}
		r.call("GET", "/v1/messages?limit=100", nil, &list)
		var mine []apiMessage
		for _, m := range list.Data {
			if m.Flow == flow {
				mine = append(mine, m)
			}
		}
		if len(mine) >= n {
			// Newest first: the n-th message of the flow.
			var full apiMessage
			r.call("GET", "/v1/messages/"+mine[len(mine)-n].ID, nil, &full)
			if full.Decision != nil && (full.Decision.Outcome == "block" || full.Decision.Outcome == "fallback" || full.WAMID != "") {
				return full
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("no decided message %d of flow %s", n, flow)
	return apiMessage{}
}

// emulated waits for the emulator to have accepted n outbound messages to
// phone and returns them, oldest first.
func (r *running) emulated(phone string, n int) []emulator.Message {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		l, err := r.emu.Messages(context.Background(), emulator.MessageQuery{To: phone})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(l.Messages) >= n {
			return l.Messages
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("emulator: fewer than %d messages to %s", n, phone)
	return nil
}

func (r *running) say(in emulator.Inbound) {
	r.t.Helper()
	if _, err := r.emu.Receive(context.Background(), in); err != nil {
		r.t.Fatal(err)
	}
}

func TestPolicyEndToEnd(t *testing.T) {
	t.Parallel()
	r := startPolicyHub(t, "")

	t.Run("STOP records the opt-out, confirms it; marketing blocked, utility sent", func(t *testing.T) {
		r.t = t
		const ana = "+16505551001"
		if code := r.call("POST", "/v1/contacts/"+ana+"/opt-in", map[string]any{"purpose": "marketing", "evidence": map[string]string{"form": "checkout"}}, nil); code != http.StatusCreated {
			t.Fatalf("opt-in: %d", code)
		}
		r.say(emulator.Inbound{From: ana, Text: "STOP"})
		msgs := r.emulated(ana, 1)
		var conf whatsapp.SendRequest
		_ = json.Unmarshal(msgs[0].Request, &conf)
		if conf.Type != "text" || !strings.Contains(conf.Text.Body, "Reply START") {
			t.Fatalf("confirmation = %s", msgs[0].Request)
		}
		var c struct {
			State map[string]struct {
				Status string `json:"status"`
				Record struct {
					Source string `json:"source"`
				} `json:"record"`
			} `json:"state"`
			History []json.RawMessage `json:"history"`
		}
		r.call("GET", "/v1/contacts/"+ana+"/consent", nil, &c)
		if m := c.State["marketing"]; m.Status != "opt_out" || m.Record.Source != "keyword" || len(c.History) != 2 {
			t.Fatalf("consent = %+v", c)
		}
		r.event("promo.sent", "p1", ana, "", map[string]any{"discount": "20"})
		if m := r.waitMessage("promo", 1); m.Status != "blocked" || m.Decision.Outcome != "block" || m.Decision.Reason != "consent.opted_out" || m.Decision.Basis != "consent" {
			t.Fatalf("promo = %+v %+v", m, m.Decision)
		}
		r.event("order.updated", "u1", ana, "", map[string]any{"order": "1001"})
		if m := r.waitMessage("update", 1); m.Decision.Outcome != "send" || m.Decision.Purpose != "utility" || m.Decision.Basis != "contract" {
			t.Fatalf("update = %+v", m.Decision)
		}
		if got := r.emulated(ana, 2); got[len(got)-1].Template != "order_update" {
			t.Fatalf("emulator got %+v", got[len(got)-1])
		}
	})

	t.Run("locales: pt_BR, es_MX falls back to es, unknown to the default", func(t *testing.T) {
		r.t = t
		for i, tc := range []struct{ phone, locale, want string }{
			{"+5511912341002", "pt_BR", "pt_BR"}, {"+525512341002", "es_MX", "es"}, {"+16505551002", "ja_JP", "en_US"},
		} {
			r.event("order.updated", fmt.Sprintf("loc%d", i), tc.phone, tc.locale, map[string]any{"order": "7"})
			var req whatsapp.SendRequest
			_ = json.Unmarshal(r.emulated(tc.phone, 1)[0].Request, &req)
			if req.Template == nil || req.Template.Language.Code != tc.want {
				t.Errorf("%s: sent %+v; want %s", tc.locale, req.Template, tc.want)
			}
		}
	})

	t.Run("closed window: free text becomes the template, or the recorded fallback", func(t *testing.T) {
		r.t = t
		const bo = "+16505551003"
		r.event("nudge", "n1", bo, "", map[string]any{"order": "9"})
		if m := r.waitMessage("nudge", 1); m.Decision.Outcome != "send_template" || m.Decision.Reason != "window.closed.template" {
			t.Fatalf("nudge = %+v", m.Decision)
		}
		if got := r.emulated(bo, 1); got[0].Template != "order_update" {
			t.Fatalf("emulator got %+v", got[0])
		}
		r.event("note", "x1", bo, "", nil)
		if m := r.waitMessage("note", 1); m.Status != "blocked" || m.Decision.Outcome != "fallback" || m.Decision.Reason != "window.closed.fallback" {
			t.Fatalf("note = %+v %+v", m, m.Decision)
		}
		var q struct {
			Data []struct {
				Reason string `json:"reason"`
			} `json:"data"`
		}
		r.call("GET", "/v1/handoffs", nil, &q)
		if len(q.Data) == 0 || q.Data[len(q.Data)-1].Reason != "fallback" {
			t.Fatalf("agent queue = %+v", q)
		}
	})

	t.Run("a menu reply reaches the right next step; an escalation keyword pauses the bot", func(t *testing.T) {
		r.t = t
		const cy = "+16505551004"
		r.say(emulator.Inbound{From: cy, Text: "menu"})
		menu := r.emulated(cy, 1)[0]
		if menu.Type != "interactive" {
			t.Fatalf("menu = %+v", menu)
		}
		r.say(emulator.Inbound{From: cy, ListReply: &whatsapp.Row{ID: "returns", Title: "Returns"}, Context: menu.ID})
		var req whatsapp.SendRequest
		_ = json.Unmarshal(r.emulated(cy, 2)[1].Request, &req)
		if req.Type != "text" || req.Text.Body != "Returns are free within 30 days." {
			t.Fatalf("after the reply sent %+v", req)
		}
		r.say(emulator.Inbound{From: cy, Text: "agent"})
		deadline := time.Now().Add(10 * time.Second)
		for {
			var c struct {
				Handoff *struct {
					State string `json:"state"`
				} `json:"handoff"`
			}
			r.call("GET", "/v1/contacts/"+cy, nil, &c)
			if c.Handoff != nil && c.Handoff.State == "open" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("escalation did not reach the agent queue")
			}
			time.Sleep(20 * time.Millisecond)
		}
		r.say(emulator.Inbound{From: cy, Text: "menu"})
		time.Sleep(500 * time.Millisecond)
		if l, _ := r.emu.Messages(context.Background(), emulator.MessageQuery{To: cy}); len(l.Messages) != 2 {
			t.Fatalf("the bot answered while paused: %d messages", len(l.Messages))
		}
		if code := r.call("POST", "/v1/contacts/"+cy+"/handback", map[string]string{"agent": "sam"}, nil); code != http.StatusOK {
			t.Fatalf("handback: %d", code)
		}
		r.say(emulator.Inbound{From: cy, Text: "menu"})
		r.emulated(cy, 3)
	})
}

// TestConfigReload changes the config file under a running Parley: a new
// flow answers without a restart, and a broken file is ignored.
func TestConfigReload(t *testing.T) {
	t.Parallel()
	r := startPolicyHub(t, "")
	b, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.file, append(b, []byte("  - name: welcome\n    on: {type: signed.up}\n    template: {name: order_update, params: [data.order]}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		// Until the reload lands, events find no flow; each try is a new event.
		r.event("signed.up", fmt.Sprintf("s%d", i), "+16505551005", "", map[string]any{"order": "1"})
		l, _ := r.emu.Messages(context.Background(), emulator.MessageQuery{To: "+16505551005"})
		if len(l.Messages) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new flow never ran")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A file that does not load leaves the running flows alone.
	if err := os.WriteFile(r.file, []byte("flows: [{name: broken}]\nnope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	r.event("order.updated", "after-broken", "+16505551006", "", map[string]any{"order": "2"})
	r.emulated("+16505551006", 1)
}
