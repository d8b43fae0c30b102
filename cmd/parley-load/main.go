// Command parley-load is Parley's load generator. It starts the real
// parley binary (production mode, a fresh data directory) against a Cloud
// API emulator running in this process, drives POST /v1/events over HTTP at
// a set rate, and measures the send path: events accepted per second,
// messages received by the emulator per second, and the latency from the
// 202 to the emulator receiving the message (p50/p99), plus Parley's RSS and
// database size. It writes a JSON result and an SVG plot over time.
//
//	go run ./cmd/parley-load -binary bin/parley -rate 2000 -duration 20s -out bench-results/run.json
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "parley-load:", err)
		os.Exit(1)
	}
}

type options struct {
	binary      string
	duration    time.Duration
	warmup      time.Duration
	rate        int
	concurrency int
	out         string
	drain       time.Duration
	sync        string
	pprof       string
	scenario    string
	keep        bool
	messages    int
	batch       int
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("parley-load", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "bin/parley", "the parley binary to run")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send events (after the warm-up)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "sending before measuring starts")
	fs.IntVar(&o.rate, "rate", 2000, "events per second; 0 sends as fast as -concurrency allows")
	fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent HTTP clients")
	fs.StringVar(&o.out, "out", "bench-results/send-path.json", "JSON result; the SVG plot goes beside it")
	fs.DurationVar(&o.drain, "drain", 60*time.Second, "how long to wait for the last messages to reach the emulator")
	fs.StringVar(&o.sync, "synchronous", "FULL", "store.synchronous for Parley (FULL or NORMAL)")
	fs.StringVar(&o.pprof, "pprof", "", "server.pprof_addr for Parley, to profile it during the run")
	fs.BoolVar(&o.keep, "keep", false, "keep Parley's data directory (printed) after the run")
	fs.StringVar(&o.scenario, "scenario", "send", "send: the send path; statuses: status webhooks applied")
	fs.IntVar(&o.messages, "messages", 20000, "statuses scenario: messages whose statuses are posted")
	fs.IntVar(&o.batch, "batch", 1000, "statuses scenario: statuses per webhook POST")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.scenario == "statuses" {
		res, err := measureStatuses(ctx, o, o.messages, o.batch)
		if err != nil {
			return err
		}
		return writeResult(o.out, res, nil, res.summary())
	}
	if o.scenario != "send" {
		return fmt.Errorf("-scenario: want send or statuses, got %q", o.scenario)
	}
	res, err := measure(ctx, o)
	if err != nil {
		return err
	}
	return writeResult(o.out, res, plot(res), res.summary())
}

// writeResult writes the JSON result (and the SVG plot beside it, if any)
// and prints the summary.
func writeResult(out string, res any, svg []byte, summary string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Print(summary)
	fmt.Printf("result: %s\n", out)
	if svg != nil {
		name := strings.TrimSuffix(out, filepath.Ext(out)) + ".svg"
		if err := os.WriteFile(name, svg, 0o644); err != nil {
			return err
		}
		fmt.Printf("plot:   %s\n", name)
	}
	return nil
}

// Result is what a run measured.
type Result struct {
	Scenario        string    `json:"scenario"`
	TargetRate      int       `json:"target_rate"`
	Concurrency     int       `json:"concurrency"`
	DurationSeconds float64   `json:"duration_seconds"`
	Accepted        int64     `json:"accepted"`
	Errors          int64     `json:"errors"`
	Sent            int64     `json:"sent"`
	Lost            int64     `json:"lost"`
	AcceptedPerSec  float64   `json:"accepted_per_sec"`
	SentPerSec      float64   `json:"sent_per_sec"`
	AcceptP50Ms     float64   `json:"accept_p50_ms"`
	AcceptP99Ms     float64   `json:"accept_p99_ms"`
	SendP50Ms       float64   `json:"send_p50_ms"`
	SendP99Ms       float64   `json:"send_p99_ms"`
	MaxRSSMB        float64   `json:"max_rss_mb"`
	DBSizeMB        float64   `json:"db_size_mb"`
	Synchronous     string    `json:"synchronous"`
	Seconds         []Second  `json:"seconds"`
	Started         time.Time `json:"started"`
}

// Second is one second of the run.
type Second struct {
	T         int     `json:"t"`
	Accepted  int     `json:"accepted"`
	Sent      int     `json:"sent"`
	SendP50Ms float64 `json:"send_p50_ms"`
	SendP99Ms float64 `json:"send_p99_ms"`
	RSSMB     float64 `json:"rss_mb"`
}

func (r *Result) summary() string {
	return fmt.Sprintf(`send path, %s (rate %d/s, %d clients, store.synchronous %s)
  accepted: %d in %.1fs = %.0f events/s (POST latency p50 %.2f ms, p99 %.2f ms), errors %d
  sent:     %d = %.0f messages/s at the emulator, lost %d
  accept → emulator: p50 %.2f ms, p99 %.2f ms
  parley:   max RSS %.1f MB, database %.1f MB
`, r.Scenario, r.TargetRate, r.Concurrency, r.Synchronous, r.Accepted, r.DurationSeconds, r.AcceptedPerSec, r.AcceptP50Ms, r.AcceptP99Ms, r.Errors,
		r.Sent, r.SentPerSec, r.Lost, r.SendP50Ms, r.SendP99Ms, r.MaxRSSMB, r.DBSizeMB)
}

// tracker matches accepted events to the emulator receiving their message,
// by recipient (one unique number per event).
type tracker struct {
	mu       sync.Mutex
	accepted map[string]time.Time // recipient digits → when the 202 came
	received map[string]time.Time
}

func (t *tracker) accept(to string, at time.Time) {
	t.mu.Lock()
	t.accepted[to] = at
	t.mu.Unlock()
}

// observe wraps the emulator's handler to note when each send arrives.
func (t *tracker) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			now := time.Now()
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				To string `json:"to"`
			}
			if json.Unmarshal(body, &req) == nil && req.To != "" {
				to := strings.TrimPrefix(req.To, "+")
				t.mu.Lock()
				if _, dup := t.received[to]; !dup {
					t.received[to] = now
				}
				t.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// appSecret signs the webhooks between the emulator (or this program) and Parley.
const appSecret = "load-secret"

// env is a running Parley process and the in-process emulator it sends to.
type env struct {
	emu     *emulator.Emulator
	emuSrv  *http.Server
	cmd     *exec.Cmd
	base    string
	client  *http.Client
	dataDir string
	dir     string
	keep    bool
}

// startEnv starts the emulator (unlimited throughput, no pair limit, the
// given delays) and Parley in production mode against it, on a fresh data
// directory, and waits until Parley is ready. observe, if set, wraps the
// emulator's handler.
func startEnv(ctx context.Context, o options, ecfg emulator.Config, observe ...func(http.Handler) http.Handler) (*env, error) {
	dir, err := os.MkdirTemp("", "parley-load")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, dataDir: filepath.Join(dir, "data"), keep: o.keep}
	parleyAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ecfg.WebhookURL = "http://" + parleyAddr + "/webhooks/whatsapp"
	ecfg.AppSecret, ecfg.AccessToken = appSecret, "load-token"
	ecfg.Throughput, ecfg.PairLimit = emulator.Unlimited, emulator.PairLimit{Disabled: true}
	if ecfg.WebhookConcurrency == 0 {
		ecfg.WebhookConcurrency = 4
	}
	if e.emu, err = emulator.New(ecfg); err != nil {
		return nil, err
	}
	emuLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := e.emu.Start(ctx); err != nil {
		return nil, err
	}
	h := e.emu.Handler()
	for _, wrap := range observe {
		h = wrap(h)
	}
	e.emuSrv = &http.Server{Handler: h}
	go e.emuSrv.Serve(emuLn)

	cfg := fmt.Sprintf(`mode: production
data_dir: %s
log: {level: warn}
server: {addr: %s, pprof_addr: "%s"}
store: {synchronous: %s}
whatsapp:
  base_url: http://%s
  phone_number_id: "%s"
  access_token: load-token
  app_secret: %s
  verify_token: load-verify
# The emulator here has no limits, so Parley need not pace its sends; every
# other part of the policy gate decides each message as in production.
guard: {pacing: {enabled: false}}
flows:
  - name: hello
    on: {type: order.shipped}
    to: contact.phone
    template: {name: hello_world, language: en_US}
`, e.dataDir, parleyAddr, o.pprof, o.sync, emuLn.Addr(), emulator.DefaultPhoneNumberID, appSecret)
	cfgPath := filepath.Join(dir, "parley.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	e.cmd = exec.CommandContext(ctx, o.binary, "serve", "--config", cfgPath)
	e.cmd.Env = append(os.Environ(), "PARLEY_API_KEY=load-key")
	e.cmd.Stderr = os.Stderr
	if err := e.cmd.Start(); err != nil {
		e.close()
		return nil, fmt.Errorf("start %s: %w", o.binary, err)
	}
	e.base = "http://" + parleyAddr
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2}, Timeout: 30 * time.Second}
	if err := waitReady(ctx, e.client, e.base); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	if e.cmd != nil && e.cmd.Process != nil {
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		_ = e.cmd.Wait()
	}
	if e.emuSrv != nil {
		e.emuSrv.Close()
	}
	if e.emu != nil {
		e.emu.Close()
	}
	if e.keep {
		fmt.Fprintln(os.Stderr, "kept", e.dir)
		return
	}
	os.RemoveAll(e.dir)
}

// postEvent posts one order.shipped event for recipient to (digits).
func (e *env) postEvent(ctx context.Context, n int64, to string) (int, error) {
	body := fmt.Sprintf(`{"type":"order.shipped","source":"load","id":"%d","contact":{"phone":"+%s","name":"Load %d"},"data":{"n":%d}}`, n, to, n, n)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer load-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sendEvents posts n events with concurrency clients.
func (e *env) sendEvents(ctx context.Context, n, concurrency int) error {
	var seq atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := seq.Add(1)
				if i > int64(n) {
					return
				}
				if code, err := e.postEvent(ctx, i, fmt.Sprintf("1650%07d", i)); err != nil || code != http.StatusAccepted {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d events were not accepted", f, n)
	}
	return nil
}

func measure(ctx context.Context, o options) (*Result, error) {
	tr := &tracker{accepted: map[string]time.Time{}, received: map[string]time.Time{}}
	e, err := startEnv(ctx, o, emulator.Config{StatusLatency: 10 * time.Millisecond, ReadAfter: 50 * time.Millisecond, MessageLogSize: 1000}, tr.observe)
	if err != nil {
		return nil, err
	}
	defer e.close()
	cmd := e.cmd

	res := &Result{Scenario: "events → flows → send → emulator", TargetRate: o.rate, Concurrency: o.concurrency, Synchronous: o.sync, Started: time.Now().UTC()}
	var rssMax atomic.Int64
	var rssNow atomic.Int64
	stopRSS := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopRSS:
				return
			case <-t.C:
				if kb := rssKB(cmd.Process.Pid); kb > 0 {
					rssNow.Store(kb)
					if kb > rssMax.Load() {
						rssMax.Store(kb)
					}
				}
			}
		}
	}()
	defer close(stopRSS)

	// Send: a schedule of events (open loop at -rate, or closed loop).
	total := o.warmup + o.duration
	var seq atomic.Int64
	var accepted, errs atomic.Int64
	var postMu sync.Mutex
	var postLat []float64
	measureFrom := time.Now().Add(o.warmup)
	jobs := make(chan struct{}, o.concurrency*4)
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				n := seq.Add(1)
				to := fmt.Sprintf("1650%07d", n)
				t0 := time.Now()
				code, err := e.postEvent(ctx, n, to)
				t1 := time.Now()
				if err != nil || code != http.StatusAccepted {
					errs.Add(1)
					continue
				}
				if t0.After(measureFrom) {
					tr.accept(to, t1)
					accepted.Add(1)
					postMu.Lock()
					postLat = append(postLat, float64(t1.Sub(t0).Microseconds())/1000)
					postMu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	deadline := start.Add(total)
	if o.rate > 0 {
		interval := time.Second / time.Duration(o.rate)
		next := start
		for time.Now().Before(deadline) && ctx.Err() == nil {
			now := time.Now()
			for !next.After(now) {
				select {
				case jobs <- struct{}{}:
				default: // the clients are saturated: the event is not sent (counted below)
					errs.Add(1)
				}
				next = next.Add(interval)
			}
			time.Sleep(time.Until(next))
		}
	} else {
		for time.Now().Before(deadline) && ctx.Err() == nil {
			select {
			case jobs <- struct{}{}:
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	close(jobs)
	wg.Wait()
	sendEnd := time.Now()

	// Drain: wait for every accepted event's message.
	drainUntil := time.Now().Add(o.drain)
	for time.Now().Before(drainUntil) && ctx.Err() == nil {
		tr.mu.Lock()
		missing := 0
		for to := range tr.accepted {
			if _, ok := tr.received[to]; !ok {
				missing++
			}
		}
		tr.mu.Unlock()
		if missing == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Results.
	window := sendEnd.Sub(measureFrom).Seconds()
	res.DurationSeconds = window
	res.Accepted, res.Errors = accepted.Load(), errs.Load()
	res.AcceptedPerSec = float64(res.Accepted) / window
	sort.Float64s(postLat)
	res.AcceptP50Ms, res.AcceptP99Ms = pct(postLat, 50), pct(postLat, 99)
	tr.mu.Lock()
	var lat []float64
	buckets := map[int][]float64{}
	acceptedPer := map[int]int{}
	var lastRecv time.Time
	for to, at := range tr.accepted {
		acceptedPer[int(at.Sub(measureFrom).Seconds())]++
		rt, ok := tr.received[to]
		if !ok {
			res.Lost++
			continue
		}
		res.Sent++
		d := float64(rt.Sub(at).Microseconds()) / 1000
		lat = append(lat, d)
		s := int(rt.Sub(measureFrom).Seconds())
		buckets[s] = append(buckets[s], d)
		if rt.After(lastRecv) {
			lastRecv = rt
		}
	}
	tr.mu.Unlock()
	sort.Float64s(lat)
	res.SendP50Ms, res.SendP99Ms = pct(lat, 50), pct(lat, 99)
	sentWindow := window
	if !lastRecv.IsZero() && lastRecv.Sub(measureFrom).Seconds() > sentWindow {
		sentWindow = lastRecv.Sub(measureFrom).Seconds()
	}
	res.SentPerSec = float64(res.Sent) / sentWindow
	res.MaxRSSMB = float64(rssMax.Load()) / 1024
	res.DBSizeMB = dbSize(e.dataDir) / (1 << 20)
	last := int(sentWindow) + 1
	for s := 0; s < last; s++ {
		b := buckets[s]
		sort.Float64s(b)
		res.Seconds = append(res.Seconds, Second{T: s, Accepted: acceptedPer[s], Sent: len(b), SendP50Ms: pct(b, 50), SendP99Ms: pct(b, 99)})
	}
	return res, nil
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func waitReady(ctx context.Context, c *http.Client, base string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("parley did not become ready within 20s")
}

// rssKB reads a process's resident set size from /proc.
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func dbSize(dir string) float64 {
	var total int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "parley.db") {
			if fi, err := e.Info(); err == nil {
				total += fi.Size()
			}
		}
	}
	return float64(total)
}
