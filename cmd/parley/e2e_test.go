package main

// End-to-end tests: they build the real binary, start it as a process (in
// sandbox mode, or in production mode against a separately running
// emulator process), and talk to it over HTTP only.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "parley")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build parley: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running parley process.
type proc struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the binary with args and env, stopping it when the test ends.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s stdout:\n%s\nstderr:\n%s", args[0], p.stdout, p.stderr)
		}
	})
	return p
}

// cleanEnv is the environment without PARLEY_* variables, which the config
// would refuse or apply.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// waitLine waits for a line of stdout starting with prefix and returns the rest.
func (p *proc) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(p.stdout.String()))
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), prefix); ok {
				return strings.TrimSpace(rest)
			}
		}
		select {
		case <-p.done:
			t.Fatalf("process exited before printing %q", prefix)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no line %q within 20s", prefix)
	return ""
}

// sandbox starts parley in sandbox mode and returns its API URL, key and
// emulator URL.
type sandbox struct {
	*proc
	url, key, emulatorURL, data string
}

func startSandbox(t *testing.T, env ...string) *sandbox {
	t.Helper()
	data := t.TempDir()
	p := start(t, append([]string{"PARLEY_EMULATOR__ADDR=127.0.0.1:0"}, env...), "serve", "--data", data, "--addr", "127.0.0.1:0")
	s := &sandbox{proc: p, data: data}
	s.url = strings.TrimSuffix(p.waitLine(t, "API:"), "/v1/")
	s.key = p.waitLine(t, "API key:")
	s.emulatorURL = strings.Fields(p.waitLine(t, "Emulator:"))[0]
	return s
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, key string, body []byte, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: res.StatusCode, header: res.Header, body: b}
}

type apiMessage struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Status  string `json:"status"`
	WAMID   string `json:"wamid"`
	To      string `json:"to"`
	History []struct {
		Status string `json:"status"`
		Source string `json:"source"`
	} `json:"history"`
	Pricing json.RawMessage `json:"pricing"`
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func shippedEvent(id, phone string) []byte {
	return []byte(fmt.Sprintf(`{"type":"order.shipped","source":"shop","id":%q,"contact":{"phone":%q,"name":"Ana"},
		"data":{"order_number":%q,"tracking_url":"https://track.example/%s"}}`, id, phone, id, id))
}

func messagesOf(t *testing.T, url, key, eventID string) []apiMessage {
	t.Helper()
	r := do(t, "GET", url+"/v1/messages?event_id="+eventID, key, nil, nil)
	if r.code != 200 {
		t.Fatalf("list messages: %d %s", r.code, r.body)
	}
	var out struct {
		Data []apiMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Data
}

func emulatorCount(t *testing.T, emulatorURL, to string) int {
	t.Helper()
	l, err := (&emulator.Control{BaseURL: emulatorURL}).Messages(context.Background(), emulator.MessageQuery{To: to})
	if err != nil {
		t.Fatal(err)
	}
	return l.Count
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSandboxOrderShipped: an order.shipped event becomes the order_shipped
// template at the emulator, signed statuses come back, and the message ends
// read; the same event again gets the same answer and sends nothing more.
func TestSandboxOrderShipped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	s := startSandbox(t)
	ev := shippedEvent("A-1001", "+1 650 555 1234")
	first := do(t, "POST", s.url+"/v1/events", s.key, ev, nil)
	if first.code != http.StatusAccepted {
		t.Fatalf("POST /v1/events = %d %s", first.code, first.body)
	}
	var acc struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(first.body, &acc); err != nil || acc.EventID == "" {
		t.Fatalf("202 body %s: %v", first.body, err)
	}

	var msg apiMessage
	eventually(t, 15*time.Second, "the message to be read", func() bool {
		ms := messagesOf(t, s.url, s.key, acc.EventID)
		if len(ms) != 1 {
			return false
		}
		r := do(t, "GET", s.url+"/v1/messages/"+ms[0].ID, s.key, nil, nil)
		_ = json.Unmarshal(r.body, &msg)
		return msg.Status == "read"
	})
	seen := map[string]string{}
	for _, h := range msg.History {
		seen[h.Status] = h.Source
	}
	for _, st := range []string{"sent", "delivered", "read"} {
		if seen[st] != "webhook" {
			t.Errorf("history %+v lacks %s from a signed webhook", msg.History, st)
		}
	}
	if msg.To != "+16505551234" || !strings.HasPrefix(msg.WAMID, "wamid.") || len(msg.Pricing) == 0 {
		t.Errorf("message = %+v; want to +16505551234, a wamid and pricing", msg)
	}
	l, err := (&emulator.Control{BaseURL: s.emulatorURL}).Messages(context.Background(), emulator.MessageQuery{To: "16505551234"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Count != 1 || l.Messages[0].Template != "order_shipped" || l.Messages[0].ID != msg.WAMID {
		t.Fatalf("emulator saw %+v; want one order_shipped template with wamid %s", l, msg.WAMID)
	}

	second := do(t, "POST", s.url+"/v1/events", s.key, ev, nil)
	if second.code != first.code || !bytes.Equal(second.body, first.body) || second.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat = %d %s (replayed %q); want the first answer %d %s", second.code, second.body, second.header.Get("Idempotent-Replayed"), first.code, first.body)
	}
	// A different event for the same person is not a duplicate.
	other := do(t, "POST", s.url+"/v1/events", s.key, shippedEvent("A-1002", "+16505551234"), nil)
	if other.code != http.StatusAccepted || bytes.Equal(other.body, first.body) {
		t.Fatalf("second event = %d %s", other.code, other.body)
	}
	eventually(t, 15*time.Second, "the second event's message at the emulator", func() bool {
		return emulatorCount(t, s.emulatorURL, "16505551234") == 2
	})
	time.Sleep(300 * time.Millisecond) // a duplicate send, if any, would land now
	if n := emulatorCount(t, s.emulatorURL, "16505551234"); n != 2 {
		t.Fatalf("emulator has %d messages for the number; want 2 (one per distinct event)", n)
	}
}

// TestSandboxRefusesBadInput: a forged webhook gets 401 and changes
// nothing; a malformed event gets 400 naming the problem; both raw bodies
// are kept.
func TestSandboxRefusesBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	s := startSandbox(t)
	r := do(t, "POST", s.url+"/v1/events", s.key, shippedEvent("B-1", "+16505550001"), nil)
	var acc struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(r.body, &acc)
	var msg apiMessage
	eventually(t, 15*time.Second, "the message to be read", func() bool {
		ms := messagesOf(t, s.url, s.key, acc.EventID)
		if len(ms) == 1 {
			msg = ms[0]
		}
		return msg.Status == "read"
	})

	forged := []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":%q,"status":"failed","timestamp":"1750000000","recipient_id":"16505550001","errors":[{"code":131026,"title":"forged"}]}]}}]}]}`, msg.WAMID))
	for name, sig := range map[string]string{
		"wrong secret": whatsapp.Sign("not-the-app-secret", forged),
		"missing":      "",
		"garbage":      "sha256=zz",
	} {
		h := map[string]string{}
		if sig != "" {
			h["X-Hub-Signature-256"] = sig
		}
		res := do(t, "POST", s.url+"/webhooks/whatsapp", "", forged, h)
		if res.code != http.StatusUnauthorized {
			t.Errorf("%s signature: %d %s; want 401", name, res.code, res.body)
		}
	}
	bad := []byte(`{"type":"order.shipped","source":"shop","id":"B-2","contact":{"phone":"+16505550002"},"colour":"red"}`)
	res := do(t, "POST", s.url+"/v1/events", s.key, bad, nil)
	var e struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	if err := json.Unmarshal(res.body, &e); err != nil || res.code != 400 || e.Error.Code != "invalid_event" || e.Error.Field != "colour" {
		t.Errorf("malformed event: %d %s; want 400 invalid_event naming colour", res.code, res.body)
	}
	res = do(t, "POST", s.url+"/v1/events", s.key, []byte(`{"type":`), nil)
	if res.code != 400 || !strings.Contains(string(res.body), "malformed JSON") {
		t.Errorf("truncated JSON: %d %s", res.code, res.body)
	}
	if res := do(t, "POST", s.url+"/v1/events", "wrong-key", shippedEvent("B-3", "+16505550003"), nil); res.code != 401 {
		t.Errorf("wrong API key: %d %s; want 401", res.code, res.body)
	}

	time.Sleep(300 * time.Millisecond)
	r = do(t, "GET", s.url+"/v1/messages/"+msg.ID, s.key, nil, nil)
	var after apiMessage
	_ = json.Unmarshal(r.body, &after)
	if after.Status != "read" {
		t.Errorf("after forged webhooks the message is %q; want it still read", after.Status)
	}
	db := openDB(t, filepath.Join(s.data, "parley.db"))
	var forgedKept, forgedInbox, badKept int
	if err := db.QueryRow(`SELECT count(*) FROM rejects WHERE kind = 'webhook' AND body = ?`, forged).Scan(&forgedKept); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM webhook_inbox WHERE body = ?`, forged).Scan(&forgedInbox); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM rejects WHERE kind = 'event' AND body = ? AND reason LIKE '%colour%'`, bad).Scan(&badKept); err != nil {
		t.Fatal(err)
	}
	if forgedKept != 3 || forgedInbox != 0 || badKept != 1 {
		t.Errorf("kept forged=%d (want 3), forged in inbox=%d (want 0), malformed event kept=%d (want 1)", forgedKept, forgedInbox, badKept)
	}
	var events int
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&events); err != nil || events != 1 {
		t.Errorf("events stored = %d, %v; want only the valid one", events, err)
	}

	// A valid event whose phone cannot be used is accepted, then
	// dead-lettered with a reason naming the field; nothing is sent.
	r = do(t, "POST", s.url+"/v1/events", s.key, shippedEvent("B-4", "555-1234"), nil)
	if r.code != http.StatusAccepted {
		t.Fatalf("event with a local phone: %d %s", r.code, r.body)
	}
	var reason string
	eventually(t, 10*time.Second, "the event's dead letter", func() bool {
		return db.QueryRow(`SELECT reason FROM dead_letters WHERE topic = 'events' ORDER BY id DESC LIMIT 1`).Scan(&reason) == nil
	})
	if !strings.Contains(reason, "contact.phone") || !strings.Contains(reason, "555-1234") {
		t.Errorf("dead letter reason %q does not name contact.phone and its value", reason)
	}

	// A correctly signed webhook that is not valid JSON is acknowledged
	// (it is stored raw), then dead-lettered with the parser's reason.
	var secrets struct {
		AppSecret string `json:"app_secret"`
	}
	raw, err := os.ReadFile(filepath.Join(s.data, "sandbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &secrets); err != nil {
		t.Fatal(err)
	}
	broken := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.x","status":"sent","timestamp":"not-a-time"}]}}]}]}`)
	res = do(t, "POST", s.url+"/webhooks/whatsapp", "", broken, map[string]string{"X-Hub-Signature-256": whatsapp.Sign(secrets.AppSecret, broken)})
	if res.code != http.StatusOK {
		t.Fatalf("signed but unparseable webhook: %d %s; want 200 (stored)", res.code, res.body)
	}
	var state, why string
	eventually(t, 10*time.Second, "the webhook to be dead-lettered", func() bool {
		return db.QueryRow(`SELECT state, COALESCE(reason,'') FROM webhook_inbox WHERE body = ?`, broken).Scan(&state, &why) == nil && state == "dead"
	})
	if !strings.Contains(why, "timestamp") {
		t.Errorf("webhook dead with reason %q; want it to name the timestamp", why)
	}
	var letters int
	if err := db.QueryRow(`SELECT count(*) FROM dead_letters WHERE topic = 'webhooks.whatsapp'`).Scan(&letters); err != nil || letters != 1 {
		t.Errorf("webhook dead letters = %d, %v; want 1", letters, err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestKillAfterAccept: events acknowledged with 202 survive a SIGKILL of
// Parley, and after a restart every one is sent exactly once, counted at a
// separately running emulator.
//
// The first run points at a port where nothing listens, so none of its
// sends can reach the platform before the kill: this test is about what
// was acknowledged. The other window, a send the platform accepted just
// before the process died with its wamid not yet committed, cannot be
// closed by Parley alone; the reliability tests (make test-reliability)
// measure and report it.
func TestKillAfterAccept(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	emuAddr, parleyAddr := freePort(t), freePort(t)
	emu := start(t, nil, "emulator", "--addr", emuAddr, "--webhook-url", "http://"+parleyAddr+"/webhooks/whatsapp",
		"--app-secret", "e2e-secret", "--access-token", "e2e-token", "--verify-token", "e2e-verify",
		"--throughput", "-1", "--no-pair-limit", "--status-latency", "5ms", "--read-after", "5ms")
	emu.waitLine(t, "WhatsApp Cloud API emulator on")

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "parley.yaml")
	config := func(platform string) {
		t.Helper()
		cfg := fmt.Sprintf(`mode: production
data_dir: %s
server:
  addr: %s
whatsapp:
  base_url: http://%s
  phone_number_id: "106540352242922"
  waba_id: "102290129340398"
  access_token: e2e-token
  app_secret: e2e-secret
  verify_token: e2e-verify
flows:
  - name: hello
    on: {type: order.shipped}
    to: contact.phone
    template: {name: hello_world, language: en_US}
`, filepath.Join(dir, "data"), parleyAddr, platform)
		if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config(freePort(t)) // nothing listens there
	env := []string{"PARLEY_API_KEY=e2e-api-key"}
	p := start(t, env, "serve", "--config", cfgFile)
	p.waitLine(t, "API:")
	base := "http://" + parleyAddr

	const n = 40
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = do(t, "POST", base+"/v1/events", "e2e-api-key", shippedEvent(fmt.Sprintf("K-%d", i), fmt.Sprintf("+1650555%04d", i)), nil).code
		}()
	}
	wg.Wait()
	p.kill(t)
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Fatalf("event %d: %d; want 202", i, c)
		}
	}
	stats, err := (&emulator.Control{BaseURL: "http://" + emuAddr}).Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.AcceptedTotal != 0 {
		t.Fatalf("the emulator received %d messages before the restart; want 0", stats.AcceptedTotal)
	}

	config(emuAddr)
	p2 := start(t, env, "serve", "--config", cfgFile)
	p2.waitLine(t, "API:")
	eventually(t, 30*time.Second, "every event's message at the emulator", func() bool {
		s, err := (&emulator.Control{BaseURL: "http://" + emuAddr}).Stats(context.Background())
		return err == nil && s.AcceptedTotal >= n
	})
	time.Sleep(500 * time.Millisecond) // a duplicate, if any, would land now
	for i := range n {
		if c := emulatorCount(t, "http://"+emuAddr, fmt.Sprintf("1650555%04d", i)); c != 1 {
			t.Errorf("recipient %d got %d messages; want exactly 1", i, c)
		}
	}
	db := openDB(t, filepath.Join(dir, "data", "parley.db"))
	eventually(t, 20*time.Second, "every message read", func() bool {
		var read int
		_ = db.QueryRow(`SELECT count(*) FROM messages WHERE status = 'read'`).Scan(&read)
		return read == n
	})
}
