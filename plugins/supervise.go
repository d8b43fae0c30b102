package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/parley-hub/parley/internal/connectorclient"
	"github.com/parley-hub/parley/internal/pluginwire"
	"github.com/parley-hub/parley/sdk"
)

// Plugin states, as shown in Status.State.
const (
	StateStarting   = "starting"
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateStopped    = "stopped"
)

// Restart back-off: the first restart after a crash is immediate, so a
// plugin killed by accident is back within a second; each further
// consecutive failure doubles the wait up to maxBackoff. A plugin that has
// run for stableAfter counts as healthy again.
const (
	firstBackoff     = 250 * time.Millisecond
	maxBackoff       = 30 * time.Second
	stableAfter      = time.Minute
	exitPollInterval = 20 * time.Millisecond
	healthTimeout    = 5 * time.Second
	maxHealthMisses  = 3
)

// managed is one plugin: its config, the process currently running it and
// what the host knows about it. mu guards everything below it.
type managed struct {
	cfg      Config
	log      *slog.Logger
	sockets  string        // the directory for this plugin's per-launch socket directories
	wake     chan struct{} // pokes the supervisor to look for an exit now
	launches int

	mu         sync.RWMutex
	state      string
	client     *plugin.Client
	conn       *connectorclient.Client
	launchDir  string
	spec       sdk.Spec
	caps       connectorclient.Capabilities
	pid        int
	startedAt  time.Time
	restarts   int
	health     error
	healthAt   time.Time
	lastErr    error
	lastExitAt time.Time
}

func (m *managed) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// launch starts the plugin process and brings it to running: checksum,
// handshake (with AutoMTLS), Spec, config check and Configure, all within
// StartTimeout. On error nothing is left running.
func (m *managed) launch() (err error) {
	m.launches++
	dir, err := os.MkdirTemp(m.sockets, fmt.Sprintf("%d-", m.launches))
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	sum, _ := hex.DecodeString(m.cfg.SHA256)
	cmd := exec.Command(m.cfg.Path)
	cmd.Env = append(pluginEnv(), plugin.EnvUnixSocketDir+"="+dir)
	log := m.log
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  pluginwire.Handshake(sdk.ProtocolVersion),
		Plugins:          plugin.PluginSet{pluginwire.PluginName: &connectorclient.Plugin{}},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     m.cfg.StartTimeout,
		Logger:           newHCLogger(log),
		SyncStdout:       &lineLogger{log: log, level: slog.LevelInfo, stream: "stdout"},
		SyncStderr:       &lineLogger{log: log, level: slog.LevelWarn, stream: "stderr"},
		Stderr:           io.Discard,
		SkipHostEnv:      true,
	})
	defer func() {
		if err != nil {
			client.Kill()
			_ = os.RemoveAll(dir)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StartTimeout)
	defer cancel()
	rpc, err := client.Client()
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return fmt.Errorf("%w: %s has SHA-256 %s, want %s", ErrChecksumMismatch, m.cfg.Path, fileSHA256(m.cfg.Path), m.cfg.SHA256)
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", m.cfg.Path, err)
	}
	raw, err := rpc.Dispense(pluginwire.PluginName)
	if err != nil {
		return fmt.Errorf("dispense: %w", err)
	}
	conn := raw.(*connectorclient.Client)
	spec, caps, err := conn.Spec(ctx)
	if err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	if err := spec.Validate(); err != nil {
		log.Warn("connector spec has problems", "err", err)
	}
	values, err := spec.ParseConfig(m.cfg.Config)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := conn.Configure(ctx, values); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	pid := 0
	if rc := client.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	m.mu.Lock()
	m.state, m.client, m.conn, m.launchDir = StateRunning, client, conn, dir
	m.spec, m.caps, m.pid, m.startedAt = spec, caps, pid, time.Now()
	m.health, m.healthAt, m.lastErr = nil, time.Time{}, nil
	m.mu.Unlock()
	log.Info("connector plugin running", "version", spec.Version, "pid", pid, "capabilities", caps.Names())
	return nil
}

// stop kills the current process (gracefully first) and forgets it.
func (m *managed) stop(state string) {
	m.mu.Lock()
	client, dir := m.client, m.launchDir
	m.client, m.conn, m.launchDir, m.pid, m.state = nil, nil, "", 0, state
	m.mu.Unlock()
	if client != nil {
		client.Kill()
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

// supervise watches the running plugin until ctx ends: it notices an exit
// within exitPollInterval (at once when a call saw the connection break),
// restarts with back-off, and checks health every HealthInterval.
func (m *managed) supervise(ctx context.Context) {
	exitTick := time.NewTicker(exitPollInterval)
	defer exitTick.Stop()
	healthTick := time.NewTicker(m.cfg.HealthInterval)
	defer healthTick.Stop()
	failures, misses := 0, 0
	m.checkHealth(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-exitTick.C:
		case <-m.wake:
		case <-healthTick.C:
			if m.checkHealth(ctx) {
				misses = 0
			} else if misses++; misses >= maxHealthMisses {
				m.log.Error("connector plugin not answering health checks; killing it", "misses", misses)
				misses = 0
				m.mu.RLock()
				client := m.client
				m.mu.RUnlock()
				if client != nil {
					client.Kill()
				}
			}
			continue
		}
		m.mu.RLock()
		client, startedAt := m.client, m.startedAt
		m.mu.RUnlock()
		if client != nil && !client.Exited() {
			continue
		}
		// The process is gone: restart it.
		exitedAt := time.Now()
		if time.Since(startedAt) > stableAfter {
			failures = 0
		}
		m.mu.Lock()
		m.lastExitAt = exitedAt
		m.mu.Unlock()
		m.stop(StateRestarting)
		m.log.Warn("connector plugin exited; restarting", "uptime", exitedAt.Sub(startedAt).Round(time.Millisecond), "consecutive_failures", failures)
		for {
			if wait := backoff(failures); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			failures++
			err := m.launch()
			if err == nil {
				m.mu.Lock()
				m.restarts++
				m.mu.Unlock()
				m.log.Info("connector plugin restarted", "took", time.Since(exitedAt).Round(time.Millisecond))
				break
			}
			m.mu.Lock()
			m.lastErr = err
			m.mu.Unlock()
			m.log.Error("connector plugin restart failed", "err", err, "next_try_in", backoff(failures))
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// backoff returns the wait before restart attempt n (0-based) of a run of
// consecutive failures.
func backoff(n int) time.Duration {
	if n == 0 {
		return 0
	}
	d := firstBackoff << (n - 1)
	if d > maxBackoff || d <= 0 {
		return maxBackoff
	}
	return d
}

// checkHealth calls Health and records the answer. It reports false only
// when the plugin could not answer at all (not when it answered that its
// system is unhealthy).
func (m *managed) checkHealth(ctx context.Context) bool {
	m.mu.RLock()
	conn := m.conn
	m.mu.RUnlock()
	if conn == nil {
		return true // down: the exit watch deals with it
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	err := conn.Health(ctx)
	m.mu.Lock()
	m.health, m.healthAt = err, time.Now()
	m.mu.Unlock()
	if err != nil {
		m.log.Warn("connector unhealthy", "err", err)
	}
	return !errors.Is(err, connectorclient.ErrTransport) && !errors.Is(err, context.DeadlineExceeded)
}

func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}

// inheritedEnv lists the only variables of the hub's environment a plugin
// sees: what a program needs to run and reach the network. Everything else
// (the hub's own secrets above all) stays in the hub; a connector's config
// comes through Configure.
var inheritedEnv = []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

func pluginEnv() []string {
	var env []string
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
