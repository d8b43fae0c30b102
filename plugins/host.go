package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Host launches and supervises connector plugins. Create it with New, then
// Start it; Close stops every plugin. Its methods are safe for concurrent
// use.
type Host struct {
	log     *slog.Logger
	plugins map[string]*managed
	order   []string

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	tempDir string // the default socket directory, made by Start
}

// New checks the plugin configs, reporting every problem at once, and
// returns a Host that has started nothing yet.
func New(cfgs []Config, log *slog.Logger) (*Host, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	all := make([]Config, len(cfgs))
	for i, c := range cfgs {
		all[i] = c.withDefaults()
	}
	if err := validate(all); err != nil {
		return nil, fmt.Errorf("plugin config: %w", err)
	}
	h := &Host{log: log, plugins: map[string]*managed{}}
	for _, c := range all {
		h.plugins[c.Name] = &managed{
			cfg:   c,
			log:   log.With("plugin", c.Name),
			wake:  make(chan struct{}, 1),
			state: StateStopped,
		}
		h.order = append(h.order, c.Name)
	}
	return h, nil
}

// Start prepares the socket directories (removing what an earlier run left
// in them), launches every plugin in parallel and starts supervising them.
// It fails, leaving nothing running, when any plugin cannot be brought up:
// a checksum mismatch (ErrChecksumMismatch), a failed handshake, a config the
// connector refuses (errors name the field) or StartTimeout passing. ctx
// bounds Start only; Close stops the plugins.
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return ErrClosed
	case h.started:
		return errors.New("plugin host already started")
	}
	if err := h.prepareSockets(); err != nil {
		return err
	}
	errs := make([]error, len(h.order))
	var wg sync.WaitGroup
	for i, name := range h.order {
		m := h.plugins[name]
		m.state = StateStarting
		wg.Go(func() {
			if err := m.launch(); err != nil {
				m.mu.Lock()
				m.lastErr, m.state = err, StateStopped
				m.mu.Unlock()
				errs[i] = fmt.Errorf("plugin %q: %w", name, err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		<-done // each launch is bounded by its StartTimeout
		errs = append(errs, fmt.Errorf("start plugins: %w", ctx.Err()))
	}
	if err := errors.Join(errs...); err != nil {
		for _, m := range h.plugins {
			m.stop(StateStopped)
		}
		h.removeTempDir()
		return err
	}
	sctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.started = cancel, true
	for _, name := range h.order {
		m := h.plugins[name]
		h.wg.Go(func() { m.supervise(sctx) })
	}
	return nil
}

// prepareSockets gives each plugin a socket directory: under its SocketDir
// (emptied of what an earlier run of the host left: entries named
// "parley-<name>") or under a temporary directory the host owns.
func (h *Host) prepareSockets() error {
	for _, name := range h.order {
		m := h.plugins[name]
		base := m.cfg.SocketDir
		if base == "" {
			if h.tempDir == "" {
				dir, err := os.MkdirTemp("", "parley-plugins-")
				if err != nil {
					return fmt.Errorf("plugin socket directory: %w", err)
				}
				h.tempDir = dir
			}
			base = h.tempDir
		}
		if err := os.MkdirAll(base, 0o700); err != nil {
			return fmt.Errorf("plugin %q: socket directory: %w", name, err)
		}
		m.sockets = filepath.Join(base, "parley-"+name)
		if err := os.RemoveAll(m.sockets); err != nil {
			return fmt.Errorf("plugin %q: clean socket directory: %w", name, err)
		}
		if err := os.Mkdir(m.sockets, 0o700); err != nil {
			return fmt.Errorf("plugin %q: socket directory: %w", name, err)
		}
	}
	return nil
}

func (h *Host) removeTempDir() {
	for _, m := range h.plugins {
		if m.sockets != "" {
			_ = os.RemoveAll(m.sockets)
		}
	}
	if h.tempDir != "" {
		_ = os.RemoveAll(h.tempDir)
		h.tempDir = ""
	}
}

// Close stops supervising and stops every plugin (gracefully, then by
// force after 2 s), and removes the socket directories. It is safe to call
// more than once.
func (h *Host) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	if h.cancel != nil {
		h.cancel()
	}
	h.wg.Wait()
	var wg sync.WaitGroup
	for _, m := range h.plugins {
		wg.Go(func() { m.stop(StateStopped) })
	}
	wg.Wait()
	h.removeTempDir()
}

// Connector returns the client for the named plugin. The client stays
// valid across restarts; its calls fail with ErrUnavailable while the
// plugin is down. For an unknown name it returns false and a zero Client,
// whose calls fail too.
func (h *Host) Connector(name string) (Client, bool) {
	m, ok := h.plugins[name]
	if !ok {
		return Client{}, false
	}
	return Client{m: m}, true
}

// Status is a plugin's state at a glance.
type Status struct {
	Name    string
	Version string // the connector's Spec.Version
	Path    string
	State   string // StateStarting, StateRunning, StateRestarting or StateStopped
	// Health is "ok", "unknown" (not checked yet) or the last check's error.
	Health       string
	Restarts     int
	PID          int
	Capabilities []string // "webhooks", "polling", "actions", "health"
	StartedAt    time.Time
	// LastError is the last launch failure, if the plugin is not running.
	LastError string
}

// Detail is everything the host knows about a plugin.
type Detail struct {
	Status
	Spec   sdk.Spec
	SHA256 string
	// Config is the configured values with secrets redacted.
	Config     map[string]string
	LastExitAt time.Time
}

// List returns the status of every plugin, in config order.
func (h *Host) List() []Status {
	out := make([]Status, 0, len(h.order))
	for _, name := range h.order {
		out = append(out, h.plugins[name].status())
	}
	return out
}

// Inspect returns the detail of the named plugin.
func (h *Host) Inspect(name string) (Detail, bool) {
	m, ok := h.plugins[name]
	if !ok {
		return Detail{}, false
	}
	d := Detail{Status: m.status(), SHA256: m.cfg.SHA256}
	m.mu.RLock()
	defer m.mu.RUnlock()
	d.Spec, d.LastExitAt = m.spec, m.lastExitAt
	d.Config = redact(m.cfg.Config, m.spec)
	return d, true
}

func (m *managed) status() Status {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := Status{Name: m.cfg.Name, Version: m.spec.Version, Path: m.cfg.Path, State: m.state,
		Restarts: m.restarts, PID: m.pid, Capabilities: m.caps.Names(), StartedAt: m.startedAt, Health: "unknown"}
	switch {
	case m.health != nil:
		s.Health = m.health.Error()
	case !m.healthAt.IsZero():
		s.Health = "ok"
	}
	if m.lastErr != nil {
		s.LastError = m.lastErr.Error()
	}
	return s
}

// redact hides the values of fields the spec marks Secret, and of unknown
// fields whose names look secret.
func redact(cfg map[string]string, spec sdk.Spec) map[string]string {
	secret := map[string]bool{}
	for _, f := range spec.Config {
		secret[f.Name] = f.Secret
	}
	out := maps.Clone(cfg)
	for _, k := range slices.Collect(maps.Keys(out)) {
		s, known := secret[k]
		lk := strings.ToLower(k)
		if s || (!known && (strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "password") || strings.Contains(lk, "key"))) {
			out[k] = "[redacted]"
		}
	}
	return out
}
