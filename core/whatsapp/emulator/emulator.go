package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Emulator is an in-memory WhatsApp Cloud API. It is safe for concurrent
// use. Create it with New, serve Handler (or call Run), and Start it so that
// statuses and webhooks flow.
type Emulator struct {
	cfg      Config // defaulted and validated; never changed after New
	log      *slog.Logger
	now      func() time.Time
	versions map[string]bool

	webhookURL atomic.Pointer[string]
	faults     atomic.Pointer[Faults]
	epoch      atomic.Uint64 // bumped by Reset; older jobs are skipped

	ids        *idGen
	users      userTable
	msgs       *store
	templates  *templateStore
	media      *mediaStore
	sched      *scheduler
	hooks      *dispatcher
	stats      counters
	throughput atomic.Int64 // GCRA tat of the per-number limit
	tput       gcra
	pair       gcra

	handler http.Handler

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	done    chan struct{} // closed by Close
}

// New returns an emulator for cfg. It applies the defaults, validates (every
// problem at once, as *FieldError wrapped with ErrInvalidConfig), seeds the
// templates, and starts nothing.
func New(cfg Config) (*Emulator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Emulator{
		cfg:   cfg,
		log:   cfg.Logger,
		now:   cfg.Clock,
		ids:   newIDGen(),
		msgs:  newStore(cfg.MessageLogSize),
		media: newMediaStore(),
		sched: newScheduler(),
		done:  make(chan struct{}),
	}
	if len(cfg.APIVersions) > 0 {
		e.versions = map[string]bool{}
		for _, v := range cfg.APIVersions {
			e.versions[v] = true
		}
	}
	if cfg.Throughput > 0 {
		e.tput = newGCRA(time.Second/time.Duration(cfg.Throughput), cfg.Throughput)
	}
	if !cfg.PairLimit.Disabled {
		e.pair = newGCRA(cfg.PairLimit.Interval, cfg.PairLimit.Burst)
	}
	u := cfg.WebhookURL
	e.webhookURL.Store(&u)
	f := cfg.faults()
	e.faults.Store(&f)
	e.hooks = newDispatcher(e)
	e.templates = newTemplateStore()
	e.seed()
	e.handler = e.routes()
	return e, nil
}

// seed loads hello_world, the configured templates and recipients.
func (e *Emulator) seed() {
	e.templates.reset()
	hello, _ := helloWorld().template()
	e.templates.add(hello)
	for _, s := range e.cfg.Templates {
		t, _ := s.template() // validated by New
		if t.id == "" {
			t.id = e.ids.numeric()
		}
		e.templates.add(t)
	}
	for _, n := range e.cfg.NotOnWhatsApp {
		e.users.update(waID(n), func(u *user) { u.notOnWhatsApp = true })
	}
	for _, n := range e.cfg.MarketingOptOut {
		e.users.update(waID(n), func(u *user) { u.marketingOptOut = true })
	}
}

// Handler returns the emulator's HTTP API: the Graph endpoints under
// /{version}/ and the control API under /_emulator/.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Start starts the status simulation and the webhook dispatcher; they stop
// when ctx ends or Close is called. It does not listen: serve Handler, or
// use Run.
func (e *Emulator) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return ErrClosed
	case e.started:
		return ErrStarted
	}
	e.started = true
	ctx, e.cancel = context.WithCancel(ctx)
	e.wg.Add(1 + e.cfg.WebhookConcurrency)
	go func() {
		defer e.wg.Done()
		e.sched.run(ctx, e.fire)
	}()
	for range e.cfg.WebhookConcurrency {
		go func() {
			defer e.wg.Done()
			e.hooks.run(ctx)
		}()
	}
	e.log.Info("emulator: started", "config", e.cfg)
	return nil
}

// Run starts the emulator, serves Handler on Config.Addr until ctx ends,
// then shuts down and closes the emulator. It returns nil after a clean
// shutdown.
func (e *Emulator) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("emulator: listen %s: %w", e.cfg.Addr, err)
	}
	return e.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (e *Emulator) Serve(ctx context.Context, ln net.Listener) error {
	if err := e.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	e.log.Info("emulator: listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		e.Close()
		return fmt.Errorf("emulator: serve: %w", err)
	case <-ctx.Done():
	case <-e.done:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	e.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("emulator: shutdown: %w", err)
	}
	return nil
}

// Close stops the simulation and the dispatcher and waits for them. Webhook
// events still pending are counted as lost. Close is idempotent.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.done)
	if e.cancel != nil {
		e.cancel()
	}
	e.mu.Unlock()
	e.wg.Wait()
	if n := e.hooks.pending(); n > 0 {
		e.stats.lost.Add(int64(n))
		e.log.Warn("emulator: closed with undelivered webhook events", "events", n)
	}
	return nil
}

// SetWebhookURL sets (or, with "", clears) the webhook receiver. Events
// queued while there was none are delivered to it.
func (e *Emulator) SetWebhookURL(u string) error {
	if u != "" {
		if err := checkWebhookURL(u); err != nil {
			return fmt.Errorf("emulator: webhook URL %q: %w", u, err)
		}
	}
	e.webhookURL.Store(&u)
	e.hooks.urlChanged()
	return nil
}

// WebhookURL returns the current webhook receiver.
func (e *Emulator) WebhookURL() string { return *e.webhookURL.Load() }

// Faults returns the current fault settings.
func (e *Emulator) Faults() Faults { return *e.faults.Load() }

// SetFaults replaces the fault settings.
func (e *Emulator) SetFaults(f Faults) error {
	var p problems
	f.validate("", &p)
	if err := p.err(); err != nil {
		return err
	}
	f.FaultKinds = append([]FaultKind(nil), f.FaultKinds...)
	if f.FaultRate > 0 && len(f.FaultKinds) == 0 {
		f.FaultKinds = []FaultKind{FaultServerError}
	}
	e.faults.Store(&f)
	return nil
}

// Reset forgets every message, window, limit, media object and counter,
// drops pending webhooks, restores the seeded templates and recipients and
// the configured faults. The webhook URL is kept.
func (e *Emulator) Reset() {
	e.epoch.Add(1)
	e.sched.reset()
	e.hooks.reset()
	e.msgs.reset()
	e.users.reset()
	e.media.reset()
	e.throughput.Store(0)
	e.stats.reset()
	f := e.cfg.faults()
	e.faults.Store(&f)
	e.seed()
}

// Recipient is the simulated state of a WhatsApp user that a test can set.
type Recipient struct {
	// WaID is the user's phone number.
	WaID string `json:"wa_id"`
	// NotOnWhatsApp makes sends to the user fail with 131026.
	NotOnWhatsApp bool `json:"not_on_whatsapp"`
	// MarketingOptOut makes marketing templates to the user fail with 131050.
	MarketingOptOut bool `json:"marketing_opt_out"`
}

// SetRecipient sets a user's simulated state.
func (e *Emulator) SetRecipient(r Recipient) error {
	id := waID(r.WaID)
	if id == "" {
		return fmt.Errorf("%w: wa_id %q is not a phone number", ErrInvalidInput, r.WaID)
	}
	e.users.update(id, func(u *user) {
		u.notOnWhatsApp = r.NotOnWhatsApp
		u.marketingOptOut = r.MarketingOptOut
	})
	return nil
}

// Stats returns the counters.
func (e *Emulator) Stats() Stats { return e.stats.snapshot(e.hooks.pending()) }

// Messages lists the remembered messages matching q.
func (e *Emulator) Messages(q MessageQuery) MessageList { return e.msgs.query(q) }

// delay returns the real time at which a step d from now is due.
func delay(d time.Duration) time.Time {
	return time.Now().Add(max(d, 0))
}
