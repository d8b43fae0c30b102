package connector_test

// Acceptance tests of issue 4, end to end: the real server (hub.Run, in
// sandbox mode with its embedded Cloud API emulator) with real connector
// plugin processes, and fake Zendesk and HubSpot APIs in this process.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/hubspot"
	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/connectors/shopify"
	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/hub"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

const (
	shopifySecret  = "shpss_acceptance_secret"
	zendeskEmail   = "bot@acme.example"
	zendeskToken   = "zendesk-api-token"
	hubspotSecret  = "hubspot-client-secret"
	hubspotToken   = "pat-na1-acceptance"
	hubspotHookURL = "https://parley.example.com/connectors/hubspot/webhook"
)

// parley is a running hub with its fakes.
type parley struct {
	hub.Info
	data    string
	zendesk *zendesktest.Server
	hubspot *hubspottest.Server
}

// startParley runs the real server in sandbox mode with the shopify,
// zendesk and hubspot plugins, the latter two pointed at fakes, and the
// demo flows of the issue: order.shipped → order_shipped, contact.created →
// welcome, conversation.escalated → zendesk.create_ticket.
func startParley(t *testing.T) *parley {
	t.Helper()
	needBinaries(t)
	p := &parley{data: t.TempDir(), zendesk: zendesktest.New(t, zendeskEmail, zendeskToken), hubspot: hubspottest.New(t, hubspotToken)}
	yaml := fmt.Sprintf(`mode: sandbox
data_dir: %s
server: {addr: "127.0.0.1:0"}
emulator: {addr: "127.0.0.1:0", status_latency: 5ms, read_after: 0s}
pipeline:
  retry: {initial_interval: 50ms, max_interval: 1s}
connectors:
  - name: shopify
    path: %s
    sha256: %s
    config: {client_secret: %s, default_region: US}
  - name: zendesk
    path: %s
    config: {signing_secret: zendesk-signing-secret, subdomain: acme, email: %s, api_token: %s, api_base_url: %s}
  - name: hubspot
    path: %s
    sha256: %s
    config: {client_secret: %s, webhook_url: %s, access_token: %s, api_base_url: %s}
escalation:
  keywords: [agent, human, talk to a person]
templates:
  - {name: order_shipped, language: en_US, category: utility, body: "Hi {{1}}, your order {{2}} has shipped. Track it: {{3}}"}
  - {name: welcome, language: en_US, category: utility, body: "Welcome to Acme, {{1}}!"}
flows:
  - name: order_shipped
    on: {type: order.shipped, source: shopify}
    template: {name: order_shipped, language: en_US, params: [contact.name, data.order_number, data.tracking_url]}
  - name: welcome
    on: {type: contact.created, source: hubspot}
    template: {name: welcome, language: en_US, params: [contact.name]}
  - name: escalate_to_zendesk
    on: {type: conversation.escalated}
    action:
      name: zendesk.create_ticket
      input:
        subject: "WhatsApp: {{contact.name}} asks for a person"
        comment: "{{transcript}}"
        requester_phone: "{{contact.phone}}"
        requester_name: "{{contact.name}}"
        tags: escalation
`, p.data, bins["shopify"].path, bins["shopify"].sum, shopifySecret,
		bins["zendesk"].path, zendeskEmail, zendeskToken, p.zendesk.URL, // no sha256: sandbox computes it
		bins["hubspot"].path, bins["hubspot"].sum, hubspotSecret, hubspotHookURL, hubspotToken, p.hubspot.URL)
	file := filepath.Join(p.data, "parley.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{File: file, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan hub.Info, 1)
	done := make(chan error, 1)
	go func() {
		done <- hub.Run(ctx, cfg, hub.Options{Log: testLog(t), Ready: func(i hub.Info) { ready <- i }})
	}()
	select {
	case p.Info = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("hub.Run: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("Parley did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub.Run: %v", err)
		}
	})
	return p
}

// shopifyDelivery is a signed orders/fulfilled delivery for order n to phone.
func shopifyDelivery(n int, phone, webhookID string) (body []byte, header http.Header) {
	body = fmt.Appendf(nil, `{"id":%d,"name":"#%d","order_number":%d,"email":"ana.souza@example.com","phone":%q,"customer_locale":"en",
"currency":"USD","total_price":"59.90","financial_status":"paid","fulfillment_status":"fulfilled",
"created_at":"2026-05-01T10:00:00-04:00","updated_at":"2026-05-03T15:20:00-04:00",
"customer":{"id":7001234567890,"first_name":"Ana","last_name":"Souza","phone":null},
"shipping_address":{"first_name":"Ana","last_name":"Souza","country_code":"US","phone":null},
"line_items":[{"id":1301,"title":"Organic Coffee Beans","quantity":2,"price":"27.00","sku":"COF-1KG"}],
"fulfillments":[{"id":%d,"order_id":%d,"status":"success","name":"#%d.1","tracking_company":"UPS","tracking_number":"1Z%d",
"tracking_url":"https://track.example/%d","shipment_status":"confirmed","created_at":"2026-05-03T15:19:00-04:00"}]}`,
		5000000+n, n, n, phone, 4400000+n, 5000000+n, n, n, n)
	header = http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("X-Shopify-Topic", "orders/fulfilled")
	header.Set("X-Shopify-Shop-Domain", "parley-demo.myshopify.com")
	header.Set("X-Shopify-Webhook-Id", webhookID)
	header.Set("X-Shopify-Event-Id", "ev-"+webhookID)
	header.Set("X-Shopify-Triggered-At", "2026-05-03T19:20:00.000Z")
	header.Set("X-Shopify-API-Version", "2026-04")
	header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(shopifySecret, body))
	return body, header
}

func postRaw(t *testing.T, url string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (p *parley) emulator() *emulator.Control { return &emulator.Control{BaseURL: p.EmulatorURL} }

func (p *parley) messagesTo(t *testing.T, waID string) emulator.MessageList {
	t.Helper()
	l, err := p.emulator().Messages(context.Background(), emulator.MessageQuery{To: waID})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// openDB opens the hub's database read-only.
func openDB(t *testing.T, dataDir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "parley.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// loadAverage returns the 1-minute load average, or 0 where it is unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}

func eventually(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAcceptanceShopify: a signed orders/fulfilled webhook produces the
// shipping template at the emulator; a forged one gets 401 and emits
// nothing; the same webhook id twice produces one message.
func TestAcceptanceShopify(t *testing.T) {
	t.Parallel()
	p := startParley(t)
	hook := p.URL + "/connectors/shopify/webhook"

	body, h := shopifyDelivery(1001, "+1 650-555-0101", "wh-1001")
	if code, res := postRaw(t, hook, body, h); code != http.StatusOK || !strings.Contains(res, `"status":"processed"`) {
		t.Fatalf("signed webhook: %d %s; want 200 processed", code, res)
	}
	var msg emulator.Message
	eventually(t, 15*time.Second, "the order_shipped template at the emulator", func() bool {
		l := p.messagesTo(t, "16505550101")
		if l.Count > 0 {
			msg = l.Messages[0]
		}
		return l.Count > 0
	})
	if msg.Template != "order_shipped" {
		t.Errorf("emulator got %+v; want the order_shipped template", msg)
	}
	for _, want := range []string{`"Ana Souza"`, `"1001"`, `"https://track.example/1001"`} {
		if !bytes.Contains(msg.Request, []byte(want)) {
			t.Errorf("the template's params lack %s: %s", want, msg.Request)
		}
	}

	// Forged: the body of another order, signed with the wrong secret.
	forged, fh := shopifyDelivery(1002, "+1 650-555-0102", "wh-1002")
	fh.Set("X-Shopify-Hmac-Sha256", shopify.Sign("shpss_not_the_secret", forged))
	if code, res := postRaw(t, hook, forged, fh); code != http.StatusUnauthorized {
		t.Errorf("forged webhook: %d %s; want 401", code, res)
	}

	// The same delivery again, and again with a new Shopify retry header
	// set: one message in all.
	for range 2 {
		if code, res := postRaw(t, hook, body, h); code != http.StatusOK || !strings.Contains(res, `"status":"duplicate"`) {
			t.Errorf("redelivery: %d %s; want 200 duplicate", code, res)
		}
	}
	time.Sleep(500 * time.Millisecond) // a second message, or the forged one's, would land now
	if n := p.messagesTo(t, "16505550101").Count; n != 1 {
		t.Errorf("the emulator got %d messages for the delivered webhook id; want 1", n)
	}
	if n := p.messagesTo(t, "16505550102").Count; n != 0 {
		t.Errorf("the forged webhook produced %d messages; want 0", n)
	}
	db := openDB(t, p.data)
	var events, rejected int
	_ = db.QueryRow(`SELECT count(*) FROM events WHERE source = 'shopify'`).Scan(&events)
	_ = db.QueryRow(`SELECT count(*) FROM connector_inbox WHERE state = 'rejected' AND reason LIKE '%Hmac%'`).Scan(&rejected)
	if events != 1 || rejected != 1 {
		t.Errorf("events from shopify = %d (want 1), rejected inbox rows = %d (want 1, with the reason)", events, rejected)
	}
}

// connectorStatus asks GET /v1/connectors for a connector's pid and state.
func (p *parley) connectorStatus(t *testing.T, name string) (pid int, state string) {
	req, _ := http.NewRequest("GET", p.URL+"/v1/connectors", nil)
	req.Header.Set("Authorization", "Bearer "+p.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data []struct {
			Name, State string
			PID         int
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Data {
		if c.Name == name {
			return c.PID, c.State
		}
	}
	t.Fatalf("no connector %q in GET /v1/connectors", name)
	return 0, ""
}

// TestAcceptancePluginKilled: SIGKILL the shopify plugin while signed
// webhooks stream in. It is back within a second, every webhook is
// acknowledged (200 processed, or 202 stored while the plugin was down), and
// each acknowledged one is processed exactly once, counted at the emulator.
func TestAcceptancePluginKilled(t *testing.T) {
	p := startParley(t)
	hook := p.URL + "/connectors/shopify/webhook"
	oldPID, _ := p.connectorStatus(t, "shopify")

	const workers = 2
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		acked []int
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := 2000 + w*1000 + i // a fresh order and phone each time
				body, h := shopifyDelivery(n, fmt.Sprintf("+1650555%04d", n), fmt.Sprintf("wh-%d", n))
				code, _ := postRaw(t, hook, body, h)
				mu.Lock()
				codes[code]++
				if code >= 200 && code < 300 {
					acked = append(acked, n)
				}
				mu.Unlock()
				time.Sleep(30 * time.Millisecond) // ~65 webhooks/s: below the emulator's 80 messages/s
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	killed := time.Now()
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var back time.Duration
	for {
		pid, state := p.connectorStatus(t, "shopify")
		if pid != 0 && pid != oldPID && state == "running" {
			back = time.Since(killed)
			break
		}
		if time.Since(killed) > 10*time.Second {
			t.Fatal("the shopify plugin did not come back within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("shopify plugin back %v after SIGKILL", back.Round(time.Millisecond))
	if back > time.Second {
		// A plugin starts in about 100-250 ms (process start, Go init,
		// handshake with mTLS, Spec, Configure); on a machine running far more
		// than it has cores (go test ./... runs packages in parallel) it can
		// take longer, which says nothing about Parley.
		if load, cpus := loadAverage(), runtime.NumCPU(); load > 2*float64(cpus) {
			t.Logf("the plugin took %v to come back; not failing: load average %.1f on %d CPUs", back, load, cpus)
		} else {
			t.Errorf("the plugin took %v to come back; want at most 1s", back)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	t.Logf("answers: %v; %d acknowledged", codes, len(acked))
	for code, n := range codes {
		if code != http.StatusOK && code != http.StatusAccepted {
			t.Errorf("%d webhooks got %d; want every one acknowledged (200, or 202 while the plugin was down)", n, code)
		}
	}
	eventually(t, 30*time.Second, "a message per acknowledged webhook at the emulator", func() bool {
		s, err := p.emulator().Stats(context.Background())
		return err == nil && s.AcceptedTotal >= int64(len(acked))
	})
	time.Sleep(500 * time.Millisecond) // a duplicate, if any, would land now
	s, _ := p.emulator().Stats(context.Background())
	if s.AcceptedTotal != int64(len(acked)) {
		t.Errorf("the emulator accepted %d messages for %d acknowledged webhooks", s.AcceptedTotal, len(acked))
	}
	for _, n := range acked {
		if c := p.messagesTo(t, fmt.Sprintf("1650555%04d", n)).Count; c != 1 {
			t.Errorf("order %d: %d messages at the emulator; want exactly 1", n, c)
		}
	}
	db := openDB(t, p.data)
	var pending, processed int
	_ = db.QueryRow(`SELECT count(*) FROM connector_inbox WHERE state = 'pending'`).Scan(&pending)
	_ = db.QueryRow(`SELECT count(*) FROM connector_inbox WHERE state = 'processed' AND events = 1`).Scan(&processed)
	if pending != 0 || processed != len(acked) {
		t.Errorf("inbox: %d pending (want 0), %d processed with their event (want %d)", pending, processed, len(acked))
	}
	t.Logf("%d webhooks arrived while the plugin was down and were processed by the retry loop", codes[http.StatusAccepted])
}

// TestAcceptanceEscalation: a customer who got a shipping message writes,
// then asks for an agent; a Zendesk ticket with the transcript appears at
// the fake Zendesk.
func TestAcceptanceEscalation(t *testing.T) {
	t.Parallel()
	p := startParley(t)
	body, h := shopifyDelivery(3001, "+1 650-555-0177", "wh-3001")
	if code, res := postRaw(t, p.URL+"/connectors/shopify/webhook", body, h); code != http.StatusOK {
		t.Fatalf("shopify webhook: %d %s", code, res)
	}
	eventually(t, 15*time.Second, "the shipping message", func() bool { return p.messagesTo(t, "16505550177").Count == 1 })

	ctx := context.Background()
	if _, err := p.emulator().Say(ctx, "16505550177", "Ana Souza", "My order arrived damaged"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := p.emulator().Say(ctx, "16505550177", "Ana Souza", "the agent said to write here"); err != nil { // not a request
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := p.emulator().Say(ctx, "16505550177", "Ana Souza", "Agent!"); err != nil {
		t.Fatal(err)
	}
	var ticket zendesktest.Ticket
	eventually(t, 15*time.Second, "a ticket at the fake Zendesk", func() bool {
		for _, tk := range p.zendesk.Tickets() {
			ticket = tk
			return true
		}
		return false
	})
	if ticket.Subject != "WhatsApp: Ana Souza asks for a person" || len(ticket.Comments) != 1 {
		t.Fatalf("ticket = %+v", ticket)
	}
	transcript := ticket.Comments[0].Body
	t.Logf("ticket %d comment:\n%s", ticket.ID, transcript)
	for _, want := range []string{
		"Business: Hi Ana Souza, your order 3001 has shipped. Track it: https://track.example/3001",
		"Customer (Ana Souza): My order arrived damaged",
		"Customer (Ana Souza): the agent said to write here",
		"Customer (Ana Souza): Agent!",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, transcript)
		}
	}
	if strings.Index(transcript, "Business:") > strings.Index(transcript, "arrived damaged") {
		t.Errorf("the transcript is not in time order:\n%s", transcript)
	}
	if !strings.Contains(strings.Join(ticket.Tags, ","), "escalation") {
		t.Errorf("ticket tags %v lack escalation", ticket.Tags)
	}
	users := p.zendesk.Users()
	if u := users[ticket.RequesterID]; u.Phone != "+16505550177" || u.Name != "Ana Souza" {
		t.Errorf("requester = %+v", u)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(p.zendesk.Tickets()); n != 1 {
		t.Errorf("%d tickets; want 1 (only the request for an agent escalates)", n)
	}
}

// TestAcceptanceHubSpot: a HubSpot contact.creation webhook produces the
// configured welcome template for the contact read from the (fake) CRM.
func TestAcceptanceHubSpot(t *testing.T) {
	t.Parallel()
	p := startParley(t)
	p.hubspot.AddContact("501", map[string]string{"firstname": "Bia", "lastname": "Lima", "phone": "+1 650 555 0199", "email": "bia@example.com"})
	body := []byte(`[{"eventId":100,"subscriptionId":200,"portalId":300,"appId":400,"occurredAt":1767225600000,` +
		`"subscriptionType":"contact.creation","attemptNumber":0,"objectId":501,"changeSource":"CRM","changeFlag":"NEW"}]`)
	sig, ts := hubspot.SignV3(hubspotSecret, "POST", hubspotHookURL, body, time.Now())
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-HubSpot-Signature-v3", sig)
	h.Set("X-HubSpot-Request-Timestamp", ts)
	if code, res := postRaw(t, p.URL+"/connectors/hubspot/webhook", body, h); code != http.StatusOK || !strings.Contains(res, `"events":1`) {
		t.Fatalf("hubspot webhook: %d %s; want 200 with one event", code, res)
	}
	var msg emulator.Message
	eventually(t, 15*time.Second, "the welcome template at the emulator", func() bool {
		l := p.messagesTo(t, "16505550199")
		if l.Count > 0 {
			msg = l.Messages[0]
		}
		return l.Count > 0
	})
	if msg.Template != "welcome" || !bytes.Contains(msg.Request, []byte(`"Bia Lima"`)) {
		t.Errorf("emulator got %+v %s; want the welcome template for Bia Lima", msg, msg.Request)
	}
}
