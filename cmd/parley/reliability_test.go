//go:build reliability

package main

// Reliability tests: Parley killed with SIGKILL under load, a Cloud API that
// fails a fifth of everything, and a disk that fills up or is read-only.
// Like the end-to-end tests they build the real binary and run it, and the
// emulator, as separate processes. They take about a minute, and the disk
// test mounts a tmpfs (root only; it skips elsewhere), so they sit behind the
// reliability build tag:
//
//	go test -tags reliability -run Reliability -v ./cmd/parley/   (make test-reliability)
//
// Sends are counted at the emulator, by recipient: every event has its own
// phone number, so the number of messages the emulator accepted for that
// number is the number of times Parley sent the event's message.
//
// Environment knobs: PARLEY_RELIABILITY_RATE (events/s of the kill test,
// default 300), PARLEY_RELIABILITY_KILLS (default 4), and
// PARLEY_RELIABILITY_STRICT=1, which also fails on the duplicate sends the
// tests attribute to a window in which Parley could not record a send (see
// classifyDuplicate); without it they are reported in the log.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

const (
	relAPIKey      = "reliability-api-key"
	relAppSecret   = "reliability-secret"
	relAccessToken = "reliability-token"
	relVerifyToken = "reliability-verify"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func strictDuplicates() bool { return os.Getenv("PARLEY_RELIABILITY_STRICT") == "1" }

// relHarness is one emulator process and one Parley process (restartable on
// the same data directory) in production mode.
type relHarness struct {
	t       *testing.T
	dataDir string
	cfgFile string
	addr    string // Parley's host:port, the same across restarts
	base    string
	ctl     *emulator.Control
	parley  *proc
}

type relOptions struct {
	// dataDir is Parley's data directory; "" is a fresh temporary one.
	dataDir string
	// tap, if set, sits between the emulator's webhooks and Parley.
	tap *statusTap
	// retries is pipeline.retry.max_retries.
	retries int
}

func newRelHarness(t *testing.T, o relOptions) *relHarness {
	t.Helper()
	dir := t.TempDir()
	h := &relHarness{t: t, dataDir: o.dataDir, cfgFile: filepath.Join(dir, "parley.yaml")}
	if h.dataDir == "" {
		h.dataDir = filepath.Join(dir, "data")
	}
	emuAddr := freePort(t)
	h.addr = freePort(t)
	h.base = "http://" + h.addr
	webhook := h.base + "/webhooks/whatsapp"
	if o.tap != nil {
		srv := httptest.NewServer(o.tap.proxy(webhook))
		t.Cleanup(srv.Close)
		webhook = srv.URL + "/webhooks/whatsapp"
	}
	emu := start(t, nil, "emulator", "--addr", emuAddr, "--webhook-url", webhook,
		"--app-secret", relAppSecret, "--access-token", relAccessToken, "--verify-token", relVerifyToken,
		"--throughput", "-1", "--no-pair-limit", "--status-latency", "5ms", "--read-after", "20ms",
		"--webhook-concurrency", "4")
	emu.waitLine(t, "WhatsApp Cloud API emulator on")
	h.ctl = &emulator.Control{BaseURL: "http://" + emuAddr, HTTPClient: &http.Client{Timeout: 30 * time.Second}}

	cfg := fmt.Sprintf(`mode: production
data_dir: %s
log: {level: warn}
server: {addr: "%s"}
whatsapp:
  base_url: http://%s
  phone_number_id: "%s"
  waba_id: "%s"
  access_token: %s
  app_secret: %s
  verify_token: %s
  timeout: 2s
pipeline:
  retry: {max_retries: %d, initial_interval: 50ms, max_interval: 400ms, multiplier: 2}
  lease_timeout: 20s
guard:
  pacing: {enabled: false}
  quiet_hours: {enabled: false}
flows:
  - name: hello
    on: {type: order.shipped}
    to: contact.phone
    template: {name: hello_world, language: en_US}
`, h.dataDir, h.addr, emuAddr, emulator.DefaultPhoneNumberID, emulator.DefaultWABAID,
		relAccessToken, relAppSecret, relVerifyToken, o.retries)
	if err := os.WriteFile(h.cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// startParley starts Parley and waits until it serves.
func (h *relHarness) startParley() {
	h.t.Helper()
	p := h.spawnParley()
	p.waitLine(h.t, "API:")
	h.parley = p
}

// spawnParley starts Parley without waiting for it.
func (h *relHarness) spawnParley() *proc {
	return start(h.t, []string{"PARLEY_API_KEY=" + relAPIKey}, "serve", "--config", h.cfgFile)
}

// waitServing reports whether p prints its API URL within d (false when it
// exits first).
func (h *relHarness) waitServing(p *proc, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(p.stdout.String(), "API:") {
			return true
		}
		select {
		case <-p.done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	h.t.Fatalf("Parley neither served nor exited within %v", d)
	return false
}

func (h *relHarness) dbPath() string { return filepath.Join(h.dataDir, "parley.db") }

// sends returns every message the emulator accepted, by recipient (wa_id).
func (h *relHarness) sends() map[string][]emulator.Message {
	h.t.Helper()
	l, err := h.ctl.Messages(context.Background(), emulator.MessageQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	out := make(map[string][]emulator.Message, len(l.Messages))
	for _, m := range l.Messages {
		out[m.WaID] = append(out[m.WaID], m)
	}
	return out
}

func (h *relHarness) stats() emulator.Stats {
	h.t.Helper()
	s, err := h.ctl.Stats(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// loadEvent is one event of a load run; each has its own recipient.
type loadEvent struct {
	id    string // the event id (source "shop"), also its idempotency key
	phone string // E.164
	waID  string // digits

	mu       sync.Mutex
	accepted bool      // a 202 came back
	at       time.Time // when the 202 came
	attempts int
	failures []string // what the attempts before the 202 got
	replayed bool     // the 202 was a replay: an earlier, failed attempt had been stored
	refused  string   // a 4xx: given up
}

// loader posts events over HTTP like a careful client: an attempt that
// fails in transport or with a 5xx is retried, with the same event id, until
// it gets its 202. So every event ends acknowledged, and every
// acknowledgement must end in exactly one message.
type loader struct {
	base   string
	client *http.Client
	prefix int // phone numbers are +1650<prefix><6 digits>

	mu     sync.Mutex
	events []*loadEvent
	seq    atomic.Int64
	wg     sync.WaitGroup
}

func newLoader(base string, prefix int) *loader {
	return &loader{base: base, prefix: prefix, client: &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

func (l *loader) newEvent() *loadEvent {
	n := l.seq.Add(1)
	digits := fmt.Sprintf("1650%d%06d", l.prefix, n)
	ev := &loadEvent{id: fmt.Sprintf("R-%d-%d", l.prefix, n), phone: "+" + digits, waID: digits}
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	return ev
}

func (l *loader) all() []*loadEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*loadEvent(nil), l.events...)
}

// post sends ev until it is acknowledged, refused (4xx), or retryCtx ends.
func (l *loader) post(retryCtx context.Context, ev *loadEvent) {
	body := shippedEvent(ev.id, ev.phone)
	for retryCtx.Err() == nil {
		ev.mu.Lock()
		ev.attempts++
		ev.mu.Unlock()
		req, _ := http.NewRequest(http.MethodPost, l.base+"/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+relAPIKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := l.client.Do(req)
		var outcome string
		if err != nil {
			outcome = "transport: " + err.Error()
		} else {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case res.StatusCode == http.StatusAccepted:
				ev.mu.Lock()
				ev.accepted, ev.at, ev.replayed = true, time.Now(), res.Header.Get("Idempotent-Replayed") == "true"
				ev.mu.Unlock()
				return
			case res.StatusCode >= 500:
				outcome = fmt.Sprintf("%d %s", res.StatusCode, bytes.TrimSpace(b))
			default:
				ev.mu.Lock()
				ev.refused = fmt.Sprintf("%d %s", res.StatusCode, bytes.TrimSpace(b))
				ev.mu.Unlock()
				return
			}
		}
		ev.mu.Lock()
		ev.failures = append(ev.failures, outcome)
		ev.mu.Unlock()
		select {
		case <-retryCtx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// run posts new events at rate per second until stop is closed, with up to
// workers requests in flight; each is retried until retryCtx ends. Wait
// for the posts with wait.
func (l *loader) run(retryCtx context.Context, stop <-chan struct{}, rate, workers int) {
	jobs := make(chan struct{})
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for range jobs {
				l.post(retryCtx, l.newEvent())
			}
		}()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer close(jobs)
		interval := time.Second / time.Duration(rate)
		next := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Until(next)):
			}
			select {
			case jobs <- struct{}{}:
			case <-stop:
				return
			}
			next = next.Add(interval)
		}
	}()
}

func (l *loader) wait() { l.wg.Wait() }

// window is a span of time in which a send may legitimately be repeated
// because Parley could not record its outcome (it was killed, or its disk
// was full), with the reason.
type window struct {
	from, to  time.Time
	cause     string
	beforeEnd bool // the cause is at the end of the window (a kill): say how long before
}

// dupReport describes the duplicate sends of one event.
type dupReport struct {
	event     string
	waID      string
	sends     []emulator.Message
	wamid     string // the wamid Parley recorded
	explained string // "" when no window explains it
}

func (d dupReport) String() string {
	var sends []string
	for _, s := range d.sends {
		sends = append(sends, fmt.Sprintf("%s at %s", s.ID, s.Time.Format("15:04:05.000")))
	}
	why := d.explained
	if why == "" {
		why = "UNEXPLAINED"
	}
	return fmt.Sprintf("event %s to %s: %d sends [%s], Parley recorded %s: %s", d.event, d.waID, len(d.sends), strings.Join(sends, ", "), d.wamid, why)
}

// classifyDuplicate explains a repeated send when every send but the one
// whose wamid Parley recorded was accepted by the emulator inside a window
// in which Parley could not have recorded it, and the recorded one came
// after that window opened: the first send reached the Cloud API, the
// record of its wamid did not survive, and the message was sent again.
func classifyDuplicate(d *dupReport, windows []window) {
	sort.Slice(d.sends, func(i, j int) bool { return d.sends[i].Time.Before(d.sends[j].Time) })
	last := d.sends[len(d.sends)-1]
	if last.ID != d.wamid {
		return // Parley kept a wamid other than the latest send's
	}
	var causes []string
	for _, s := range d.sends[:len(d.sends)-1] {
		found := false
		for _, w := range windows {
			if !s.Time.Before(w.from) && !s.Time.After(w.to) && last.Time.After(w.to) {
				cause := w.cause
				if w.beforeEnd {
					cause = fmt.Sprintf("sent %v before %s", w.to.Sub(s.Time).Round(time.Millisecond), w.cause)
				}
				causes = append(causes, cause)
				found = true
				break
			}
		}
		if !found {
			return
		}
	}
	d.explained = strings.Join(causes, "; ")
}

// dbMessage is a messages row, with the id of its event in the source.
type dbMessage struct {
	id, status, wamid, errTitle, errDetail string
	errCode                                int
}

// messagesByEvent reads every message row by its event's source id.
func messagesByEvent(t *testing.T, db *sql.DB) map[string][]dbMessage {
	t.Helper()
	rows, err := db.Query(`SELECT e.source_id, m.id, m.status, COALESCE(m.wamid,''), COALESCE(m.error_code,0),
		COALESCE(m.error_title,''), COALESCE(m.error_detail,'') FROM messages m JOIN events e ON e.id = m.event_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]dbMessage{}
	for rows.Next() {
		var ev string
		var m dbMessage
		if err := rows.Scan(&ev, &m.id, &m.status, &m.wamid, &m.errCode, &m.errTitle, &m.errDetail); err != nil {
			t.Fatal(err)
		}
		out[ev] = append(out[ev], m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func storedEvents(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT source_id FROM events WHERE source = 'shop'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

// outcome is what became of every acknowledged event of a run.
type outcome struct {
	acknowledged, lost, duplicated, explained int
	lostDetail                                []string
	dups                                      []dupReport
}

// audit checks that every acknowledged event is stored and was sent exactly
// once, counted at the emulator by recipient, and classifies duplicates by
// windows. It cross-checks the bulk count with GET /_emulator/messages?to=
// for every anomaly and a sample of the rest.
func (h *relHarness) audit(events []*loadEvent, windows []window) outcome {
	t := h.t
	t.Helper()
	db := openDB(t, h.dbPath())
	stored := storedEvents(t, db)
	msgs := messagesByEvent(t, db)
	sends := h.sends()
	var o outcome
	for i, ev := range events {
		if !ev.accepted {
			continue
		}
		o.acknowledged++
		got := sends[ev.waID]
		if i%50 == 0 || len(got) != 1 {
			if n := emulatorCount(t, h.ctl.BaseURL, ev.waID); n != len(got) {
				t.Errorf("recipient %s: ?to= counts %d messages, the full list %d", ev.waID, n, len(got))
			}
		}
		switch {
		case len(got) == 0:
			o.lost++
			o.lostDetail = append(o.lostDetail, fmt.Sprintf("event %s (202 at %s after %d attempts, replayed %v): stored %v, messages %+v",
				ev.id, ev.at.Format("15:04:05.000"), ev.attempts, ev.replayed, stored[ev.id], msgs[ev.id]))
		case len(got) > 1:
			o.duplicated++
			d := dupReport{event: ev.id, waID: ev.waID, sends: got}
			if ms := msgs[ev.id]; len(ms) == 1 {
				d.wamid = ms[0].wamid
			}
			classifyDuplicate(&d, windows)
			if d.explained != "" {
				o.explained++
			}
			o.dups = append(o.dups, d)
		}
		if ms := msgs[ev.id]; len(ms) > 1 {
			t.Errorf("event %s has %d message rows; want 1: %+v", ev.id, len(ms), ms)
		}
	}
	return o
}

// report logs an outcome and fails the test on lost events and on
// duplicates that no window explains (on any duplicate when strict). The
// explained duplicates are summarized per window, with a few examples.
func (h *relHarness) report(o outcome) {
	t := h.t
	t.Helper()
	t.Logf("acknowledged %d, lost %d, sent more than once %d (%d explained by a window in which Parley could not record the send)",
		o.acknowledged, o.lost, o.duplicated, o.explained)
	for i, l := range o.lostDetail {
		if i == 20 {
			t.Errorf("... and %d more lost", len(o.lostDetail)-20)
			break
		}
		t.Errorf("LOST: %s", l)
	}
	byWindow := map[string][]dupReport{}
	var windows []string
	for _, d := range o.dups {
		switch {
		case d.explained == "":
			t.Errorf("DUPLICATE: %s", d)
		case strictDuplicates():
			t.Errorf("DUPLICATE (strict): %s", d)
		default:
			w := d.explained
			if i := strings.Index(w, " before "); strings.HasPrefix(w, "sent ") && i > 0 {
				w = w[i+len(" before "):] // group the kill windows by kill
			}
			if byWindow[w] == nil {
				windows = append(windows, w)
			}
			byWindow[w] = append(byWindow[w], d)
		}
	}
	for _, w := range windows {
		ds := byWindow[w]
		var first, last time.Duration = -1, 0
		for _, d := range ds {
			if gap := d.sends[len(d.sends)-1].Time.Sub(d.sends[0].Time); first < 0 || gap < first {
				first = gap
			}
			if gap := d.sends[len(d.sends)-1].Time.Sub(d.sends[0].Time); gap > last {
				last = gap
			}
		}
		t.Logf("DUPLICATE SENDS (reported, not failed; PARLEY_RELIABILITY_STRICT=1 fails them): %d sent twice, %v to %v apart: %s", len(ds), first.Round(time.Millisecond), last.Round(time.Millisecond), w)
		for i, d := range ds {
			if i == 3 {
				break
			}
			t.Logf("  e.g. %s", d)
		}
	}
}

// TestReliabilityKillDuringLoad streams events into Parley at a few hundred
// per second and SIGKILLs it several times mid-stream, restarting it on the
// same data directory each time. The client retries what failed in transport
// (same event id, so the same idempotency key). Afterwards every event that
// got a 202 must be stored and sent exactly once, counted at the emulator.
//
// One duplicate is beyond a restart's reach: the process can die after the
// Cloud API accepted a send and before the wamid was committed; the restarted
// Parley cannot know the send happened (the Cloud API has no idempotency key
// and no lookup) and sends again. Such duplicates are classified (the first
// send was accepted by the process that was then killed, the one Parley
// recorded came after the restart) and reported; any other duplicate fails
// the test, and PARLEY_RELIABILITY_STRICT=1 fails these too.
func TestReliabilityKillDuringLoad(t *testing.T) {
	restartUnderLoad(t, syscall.SIGKILL)
}

// TestReliabilityGracefulRestart is TestReliabilityKillDuringLoad with
// SIGTERM: Parley shuts down in order, so it has no excuse for a duplicate
// and every one fails the test.
func TestReliabilityGracefulRestart(t *testing.T) {
	restartUnderLoad(t, syscall.SIGTERM)
}

// restartUnderLoad stops Parley with sig several times under load and
// audits the outcome.
func restartUnderLoad(t *testing.T, sig syscall.Signal) {
	rate, restarts := envInt("PARLEY_RELIABILITY_RATE", 300), envInt("PARLEY_RELIABILITY_KILLS", 4)
	h := newRelHarness(t, relOptions{retries: 8})
	h.startParley()

	l := newLoader(h.base, 5)
	stop := make(chan struct{})
	retryCtx, cancelRetries := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelRetries()
	l.run(retryCtx, stop, rate, 64)

	var windows []window
	var downtime time.Duration
	up := time.Now()
	for k := range restarts {
		time.Sleep(1500*time.Millisecond + rand.N(1500*time.Millisecond))
		before := h.stats().AcceptedTotal
		at := time.Now()
		if err := h.parley.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-h.parley.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("Parley did not exit within 30s of %v", sig)
		}
		if sig == syscall.SIGKILL {
			// The window ends when the process is known dead, not when
			// the signal was sent: it may still send in between.
			windows = append(windows, window{from: up, to: time.Now(), beforeEnd: true,
				cause: fmt.Sprintf("the process died (SIGKILL #%d at %s); its wamid was not committed", k+1, at.Format("15:04:05.000"))})
		} else if code := h.parley.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("Parley exited with status %d after %v", code, sig)
		}
		h.startParley()
		up = time.Now()
		downtime += time.Since(at)
		t.Logf("%v #%d at %s, %d messages at the emulator then; back after %v", sig, k+1, at.Format("15:04:05.000"), before, time.Since(at).Round(time.Millisecond))
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	l.wait()
	events := l.all()

	var acked, retried, replayed int
	for _, ev := range events {
		switch {
		case ev.refused != "":
			t.Errorf("event %s refused: %s", ev.id, ev.refused)
		case !ev.accepted:
			t.Errorf("event %s never acknowledged after %d attempts: %v", ev.id, ev.attempts, ev.failures)
		default:
			acked++
		}
		if ev.attempts > 1 {
			retried++
		}
		if ev.replayed {
			replayed++
		}
	}
	eventually(t, 90*time.Second, "a message at the emulator for every acknowledged event", func() bool {
		return h.stats().AcceptedTotal >= int64(acked)
	})
	db := openDB(t, h.dbPath())
	eventually(t, 60*time.Second, "every message recorded as submitted", func() bool {
		var pending int
		_ = db.QueryRow(`SELECT count(*) FROM messages WHERE wamid IS NULL`).Scan(&pending)
		return pending == 0
	})
	time.Sleep(time.Second) // a late duplicate, if any, lands now
	t.Logf("%d events at %d/s, %d restarts by %v (Parley down %v in all), %d events retried by the client, %d of them stored by an attempt whose answer was lost (idempotent replay)",
		len(events), rate, restarts, sig, downtime.Round(time.Millisecond), retried, replayed)
	h.report(h.audit(events, windows))

	var statuses []string
	rows, err := db.Query(`SELECT status, count(*) FROM messages GROUP BY status ORDER BY status`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		var n int
		_ = rows.Scan(&s, &n)
		statuses = append(statuses, fmt.Sprintf("%s %d", s, n))
	}
	rows.Close()
	t.Logf("messages by status: %s; emulator: %+v", strings.Join(statuses, ", "), h.stats().Accepted)
}

// statusTap proxies the emulator's webhooks to Parley and records the
// statuses in every POST Parley answered 200, so the test knows which
// statuses Parley was told of (the emulator drops some on purpose).
type statusTap struct {
	mu   sync.Mutex
	seen map[string]map[string]bool // wamid -> statuses Parley acknowledged
}

func newStatusTap() *statusTap { return &statusTap{seen: map[string]map[string]bool{}} }

func (s *statusTap) proxy(target string) http.Handler {
	client := &http.Client{Timeout: 30 * time.Second}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u := target
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, u, bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		res, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		rb, _ := io.ReadAll(res.Body)
		if r.Method == http.MethodPost && res.StatusCode == http.StatusOK {
			if n, err := whatsapp.Parse(body); err == nil {
				s.mu.Lock()
				for _, it := range n.Statuses {
					if s.seen[it.Status.ID] == nil {
						s.seen[it.Status.ID] = map[string]bool{}
					}
					s.seen[it.Status.ID][it.Status.Status] = true
				}
				s.mu.Unlock()
			}
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(rb)
	})
}

// expected is the status Parley must show for wamid: the furthest status
// among those it acknowledged, or "accepted" when every one was dropped.
func (s *statusTap) expected(wamid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := s.seen[wamid]
	for _, st := range []string{"failed", "read", "delivered", "sent"} {
		if seen[st] {
			return st
		}
	}
	return "accepted"
}

// TestReliabilityFaults runs events through an emulator that fails 20% of
// sends (503, a timeout, 130429 throughput, 131056 pair limit, picked
// evenly) and duplicates, reorders and drops 20% of webhook events each,
// with a short retry policy (2 retries) so that some messages run out of
// retries. After the drain every message must be either submitted once,
// with the status implied by the webhooks Parley acknowledged (delivered or
// read unless the emulator dropped those), or failed and dead-lettered with
// its reason; none stuck in accepted, none sent twice.
func TestReliabilityFaults(t *testing.T) {
	tap := newStatusTap()
	h := newRelHarness(t, relOptions{tap: tap, retries: 2})
	h.startParley()
	faults, err := h.ctl.SetFaults(context.Background(), emulator.Faults{
		FaultRate:     0.2,
		FaultKinds:    []emulator.FaultKind{emulator.FaultServerError, emulator.FaultTimeout, emulator.FaultCode(130429), emulator.FaultCode(131056)},
		DuplicateRate: 0.2, ReorderRate: 0.2, DropRate: 0.2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("emulator faults: %+v", faults)

	l := newLoader(h.base, 6)
	stop := make(chan struct{})
	retryCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l.run(retryCtx, stop, 150, 16)
	time.Sleep(4 * time.Second)
	close(stop)
	l.wait()
	events := l.all()
	for _, ev := range events {
		if !ev.accepted {
			t.Fatalf("event %s not acknowledged: %v %s", ev.id, ev.failures, ev.refused)
		}
	}

	db := openDB(t, h.dbPath())
	// Drain: no message waiting for a send, no webhook waiting at the
	// emulator or in Parley's inbox.
	eventually(t, 2*time.Minute, "the drain (no message accepted without a wamid, no webhook pending)", func() bool {
		var unsent, inbox, messages int
		_ = db.QueryRow(`SELECT count(*) FROM messages WHERE status = 'accepted' AND wamid IS NULL`).Scan(&unsent)
		_ = db.QueryRow(`SELECT count(*) FROM webhook_inbox WHERE state = 'pending'`).Scan(&inbox)
		_ = db.QueryRow(`SELECT count(*) FROM messages`).Scan(&messages)
		return messages == len(events) && unsent == 0 && inbox == 0 && h.stats().Webhooks.Pending == 0
	})
	time.Sleep(time.Second)
	st := h.stats()
	t.Logf("emulator: %d sends accepted, %d rejected %v, %d faults injected; webhooks: %+v", st.AcceptedTotal, st.RejectedTotal, st.Rejected, st.FaultsInjected, st.Webhooks)
	if st.FaultsInjected == 0 || st.Webhooks.Dropped == 0 || st.Webhooks.Duplicated == 0 || st.Webhooks.Reordered == 0 {
		t.Errorf("the emulator injected too few faults to test anything: %+v", st)
	}

	letters := map[string]string{}
	rows, err := db.Query(`SELECT CAST(payload AS TEXT), reason FROM dead_letters WHERE topic = 'outbox'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, reason string
		if err := rows.Scan(&id, &reason); err != nil {
			t.Fatal(err)
		}
		letters[id] = reason
	}
	rows.Close()
	var deadInbox int
	if err := db.QueryRow(`SELECT count(*) FROM webhook_inbox WHERE state = 'dead'`).Scan(&deadInbox); err != nil {
		t.Fatal(err)
	}
	if deadInbox != 0 {
		t.Errorf("%d emulator webhooks dead-lettered; want every one applied", deadInbox)
	}

	msgs := messagesByEvent(t, db)
	sends := h.sends()
	counts := map[string]int{}
	reasons := map[string]int{}
	for _, ev := range events {
		ms := msgs[ev.id]
		if len(ms) != 1 {
			t.Errorf("event %s: %d message rows; want 1", ev.id, len(ms))
			continue
		}
		m, got := ms[0], sends[ev.waID]
		if len(got) > 1 {
			t.Errorf("DUPLICATE: event %s sent %d times: %+v", ev.id, len(got), got)
		}
		switch {
		case m.wamid != "":
			if len(got) != 1 || got[0].ID != m.wamid {
				t.Errorf("event %s: Parley recorded %s, the emulator has %+v", ev.id, m.wamid, got)
			}
			want := tap.expected(m.wamid)
			if m.status != want {
				t.Errorf("event %s (%s): status %q; the webhooks Parley acknowledged say %q", ev.id, m.wamid, m.status, want)
			}
			switch m.status {
			case "delivered", "read":
				counts["submitted, ends "+m.status]++
			default:
				counts["submitted, ends "+m.status+" (later statuses dropped by the emulator)"]++
			}
		case m.status == "failed":
			if len(got) != 0 {
				t.Errorf("event %s failed in Parley but the emulator accepted %+v", ev.id, got)
			}
			reason, ok := letters[m.id]
			switch {
			case ok && reason != "":
				counts["dead-lettered"]++
				reasons[faultOf(reason)]++
			case m.errCode != 0 && m.errTitle != "":
				counts[fmt.Sprintf("failed permanently (%d %s)", m.errCode, m.errTitle)]++
			default:
				t.Errorf("event %s: message failed without a dead letter or error: %+v", ev.id, m)
			}
		default:
			t.Errorf("event %s: message stuck in %q without a wamid: %+v", ev.id, m.status, m)
		}
	}
	t.Logf("%d events: %v; dead-letter reasons: %v", len(events), counts, reasons)
}

// faultOf names the fault behind a dead letter's reason.
func faultOf(reason string) string {
	for _, k := range []string{"130429", "131056", "deadline exceeded", "Timeout", "timeout", "(#2)", "code 2", "503"} {
		if strings.Contains(reason, k) {
			return k
		}
	}
	if len(reason) > 80 {
		return reason[:80]
	}
	return reason
}

// mountTmpfs mounts a tmpfs of size at dir, unmounted when the test ends;
// it skips the test where mounting is not allowed (not root).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("needs a small filesystem to fill: mount -t tmpfs failed (not root?): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v %s", dir, err, out)
		}
	})
}

func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v %s", dir, mode, err, out)
	}
}

// fill writes a file at path until the filesystem is full.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	for _, chunk := range []int{1 << 20, 4 << 10, 512} {
		buf := make([]byte, chunk)
		for {
			w, err := f.Write(buf)
			n += int64(w)
			if err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return n
}

// storageFailure posts fresh events one by one while the store cannot be
// written, until want of them have been refused; it returns the events (some
// may have been acknowledged before the failure showed) and checks that every
// refusal is a 500 or 503 with a stable error code.
func storageFailure(t *testing.T, h *relHarness, l *loader, want int) []*loadEvent {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var evs []*loadEvent
	refused := 0
	codes := map[string]int{}
	for i := 0; i < 3000 && refused < want; i++ {
		ev := l.newEvent()
		evs = append(evs, ev)
		req, _ := http.NewRequest(http.MethodPost, h.base+"/v1/events", bytes.NewReader(shippedEvent(ev.id, ev.phone)))
		req.Header.Set("Authorization", "Bearer "+relAPIKey)
		req.Header.Set("Content-Type", "application/json")
		ev.attempts++
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST /v1/events with the store unwritable: %v (did Parley exit?)\nstderr:\n%s", err, tail(h.parley.stderr.String(), 40))
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusAccepted {
			ev.accepted, ev.at = true, time.Now()
			continue
		}
		refused++
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		codes[fmt.Sprintf("%d %s", res.StatusCode, e.Error.Code)]++
		if (res.StatusCode != 500 && res.StatusCode != 503) || e.Error.Code == "" {
			t.Errorf("refused event: %d %s; want 500 or 503 with a stable error code", res.StatusCode, b)
		}
		ev.failures = append(ev.failures, fmt.Sprintf("%d %s", res.StatusCode, b))
	}
	if refused < want {
		t.Fatalf("posted %d events with the store unwritable and only %d were refused", len(evs), refused)
	}
	t.Logf("%d events posted with the store unwritable: %d acknowledged first, then refused with %v", len(evs), len(evs)-refused, codes)
	return evs
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// retryRefused posts again, until acknowledged, every event of evs that was
// refused, as a client would after the outage.
func retryRefused(t *testing.T, l *loader, evs []*loadEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ev := range evs {
		if !ev.accepted {
			l.post(ctx, ev)
			if !ev.accepted {
				t.Fatalf("event %s refused again after the store recovered: %s %v", ev.id, ev.refused, ev.failures)
			}
		}
	}
}

// TestReliabilityStorage puts Parley's data directory on a small tmpfs
// (mounting needs root; elsewhere the test skips), fills the filesystem
// while Parley runs, and later restarts Parley on it remounted read-only.
// While nothing can be written, events must be refused with a 500 or 503 and
// a stable error code and the log must name the cause (or, read-only, Parley
// must refuse to start and say why). After space is freed or the filesystem
// is writable again, and Parley restarted, every event acknowledged before
// or during the outage must be sent exactly once, and so must the refused
// ones, posted again as a client would.
func TestReliabilityStorage(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "mnt")
	mountTmpfs(t, mnt, "24m")
	h := newRelHarness(t, relOptions{dataDir: filepath.Join(mnt, "data"), retries: 8})
	h.startParley()
	l := newLoader(h.base, 7)

	var windows []window
	warmup := func() {
		stop := make(chan struct{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		l.run(ctx, stop, 200, 8)
		time.Sleep(time.Second)
		close(stop)
		l.wait()
	}
	warmup()

	// A full disk.
	filler := filepath.Join(mnt, "filler")
	fullAt := time.Now()
	n := fill(t, filler)
	t.Logf("filled the filesystem with %d MB", n>>20)
	full := storageFailure(t, h, l, 20)
	logged := false
	for _, line := range strings.Split(h.parley.stderr.String(), "\n") {
		if strings.Contains(line, "accept event") && strings.Contains(line, "disk is full") {
			t.Logf("log: %s", line)
			logged = true
			break
		}
	}
	if !logged {
		t.Errorf("no log line says the event was refused because the disk is full; stderr ends:\n%s", tail(h.parley.stderr.String(), 20))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h.parley.stop()
	windows = append(windows, window{from: fullAt, to: time.Now(), cause: "sent while the disk was full: recording the wamid failed and the send stage retried the whole send"})
	h.startParley()
	retryRefused(t, l, full)
	warmup()

	// A read-only filesystem. It cannot be remounted read-only under a
	// running Parley (the kernel refuses while files are open for writing),
	// so Parley is stopped, the filesystem remounted read-only, and Parley
	// started on it: it must either refuse to start, saying why, or run and
	// refuse events with a 5xx.
	h.parley.stop() // graceful: no send may be left unrecorded, so no window

	remount(t, mnt, "ro")
	var ro []*loadEvent
	p := h.spawnParley()
	if h.waitServing(p, 20*time.Second) {
		h.parley = p
		ro = storageFailure(t, h, l, 20)
		p.stop()
	} else {
		out := p.stderr.String()
		t.Logf("on a read-only filesystem Parley exits with status %d: %s", p.cmd.ProcessState.ExitCode(), tail(out, 3))
		if p.cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("Parley exited 0 on a read-only filesystem")
		}
		if !strings.Contains(out, "read-only") && !strings.Contains(out, "readonly") {
			t.Errorf("Parley's error on a read-only filesystem does not say so:\n%s", tail(out, 10))
		}
	}
	remount(t, mnt, "rw")
	h.startParley()
	retryRefused(t, l, ro)

	events := l.all()
	eventually(t, 60*time.Second, "a message at the emulator for every acknowledged event", func() bool {
		return h.stats().AcceptedTotal >= int64(len(events))
	})
	db := openDB(t, h.dbPath())
	eventually(t, 60*time.Second, "every message recorded as submitted", func() bool {
		var pending int
		_ = db.QueryRow(`SELECT count(*) FROM messages WHERE wamid IS NULL`).Scan(&pending)
		return pending == 0
	})
	time.Sleep(time.Second)
	h.report(h.audit(events, windows))
}
