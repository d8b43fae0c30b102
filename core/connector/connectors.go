package connector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
)

// Config configures Connectors. Defaults are applied in one place,
// withDefaults.
type Config struct {
	// DB is the database; required.
	DB *store.DB
	// Events stores the events connectors return; required.
	Events *ingest.Events
	// Plugins are the plugin configs, one per enabled connector (see
	// PluginConfigs); they may be empty.
	Plugins []plugins.Config
	// PollIntervals is, by connector name, the wait between polls when the
	// connector does not give one; 30 s for a connector not listed.
	PollIntervals map[string]time.Duration
	// Flows are the configured flows; those naming an action are checked
	// against the connectors' specs at Start.
	Flows []config.Flow
	// Templates render template messages in transcripts.
	Templates []config.Template
	// ActionsTopic is the topic EnqueueActionTx publishes action ids on;
	// required when a flow names an action.
	ActionsTopic string
	// MaxBodyBytes bounds a webhook's body; default 3 MiB.
	MaxBodyBytes int64
	// WebhookTimeout bounds one HandleWebhook call; default 4 s, below the
	// 5 s that Shopify and HubSpot wait for an answer. A call that runs out
	// leaves the request stored for the retry loop, and the sender gets 202.
	WebhookTimeout time.Duration
	// ActionTimeout bounds one action call; default 30 s.
	ActionTimeout time.Duration
	// RetryInterval is how often the retry loop looks for stored webhooks
	// whose plugin was unavailable; default 250 ms.
	RetryInterval time.Duration
	// MaxAttempts is how many calls that fail with an unclassified error a
	// stored webhook gets before it is dead-lettered; default 10. Calls
	// that find the plugin down do not count.
	MaxAttempts int
	// Log receives the connectors' logs, the plugins' included; default none.
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 3 << 20
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 4 * time.Second
	}
	if c.ActionTimeout <= 0 {
		c.ActionTimeout = 30 * time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 250 * time.Millisecond
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// defaultPollInterval is the wait between polls of a connector that has no
// entry in Config.PollIntervals.
const defaultPollInterval = 30 * time.Second

// Connectors runs the configured connector plugins and everything the hub
// does with them. Create it with New, then Start it (launching the plugins),
// then Run it (the retry loop and the pollers) until the context ends, and
// Close it. Its methods are safe for concurrent use.
type Connectors struct {
	cfg   Config
	host  *plugins.Host
	names []string // enabled connectors, in config order
	log   *slog.Logger
	now   func() time.Time

	transcripts *Transcripts
}

// New checks the config and returns Connectors that have started nothing.
func New(cfg Config) (*Connectors, error) {
	cfg = cfg.withDefaults()
	if cfg.DB == nil || cfg.Events == nil {
		return nil, errors.New("connector: Config.DB and Config.Events are required")
	}
	host, err := plugins.New(cfg.Plugins, cfg.Log)
	if err != nil {
		return nil, err
	}
	c := &Connectors{cfg: cfg, host: host, log: cfg.Log, now: time.Now,
		transcripts: NewTranscripts(cfg.DB, cfg.Templates)}
	for _, p := range cfg.Plugins {
		c.names = append(c.names, p.Name)
	}
	return c, nil
}

// PluginConfigs turns the enabled connectors of cfg into plugin configs. In
// sandbox mode a connector without sha256 gets the checksum of its binary as
// it is now, with a warning in log; production mode requires it (and
// config validation says so). Problems are reported all at once, each with
// its connectors[i] path.
func PluginConfigs(cfg *config.Config, log *slog.Logger) ([]plugins.Config, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var out []plugins.Config
	var errs []error
	for i, cn := range cfg.Connectors {
		if !cn.Enabled {
			continue
		}
		p := fmt.Sprintf("connectors[%d]", i)
		st, err := os.Stat(cn.Path)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s.path: %w", p, err))
			continue
		case st.IsDir() || st.Mode()&0o111 == 0:
			errs = append(errs, fmt.Errorf("%s.path: %s is not an executable file", p, cn.Path))
			continue
		}
		sum := cn.SHA256
		if sum == "" {
			if cfg.Mode != config.ModeSandbox {
				errs = append(errs, fmt.Errorf("%s.sha256: required in %s mode", p, cfg.Mode))
				continue
			}
			if sum, err = fileSHA256(cn.Path); err != nil {
				errs = append(errs, fmt.Errorf("%s.path: %w", p, err))
				continue
			}
			log.Warn("connector sha256 not configured; using the binary's current checksum (sandbox mode only)",
				"connector", cn.Name, "path", cn.Path, "sha256", sum)
		}
		out = append(out, plugins.Config{Name: cn.Name, Path: cn.Path, SHA256: sum, Config: cn.Config.Reveal(), SocketDir: socketDir(cfg.DataDir)})
	}
	return out, errors.Join(errs...)
}

// PollIntervals returns the poll interval of each enabled connector.
func PollIntervals(cfg *config.Config) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, cn := range cfg.Connectors {
		if cn.Enabled {
			out[cn.Name] = cn.PollInterval
		}
	}
	return out
}

// socketDir returns data_dir/run for the plugins' Unix sockets, so that the
// host cleans what a killed Parley left there, unless the path is too long
// for a socket address; then "" lets the host use a temporary directory.
func socketDir(dataDir string) string {
	abs, err := filepath.Abs(filepath.Join(dataDir, "run"))
	if err != nil || len(abs) > 60 {
		return ""
	}
	return abs
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Start launches every plugin (see plugins.Host.Start) and checks the flows'
// actions against the specs the connectors report; it fails with
// ErrActionCheck naming each flow whose action or inputs do not fit. On
// error nothing is left running. ctx bounds Start only.
func (c *Connectors) Start(ctx context.Context) error {
	if err := c.host.Start(ctx); err != nil {
		return fmt.Errorf("start connectors: %w", err)
	}
	if err := c.checkActions(ctx); err != nil {
		c.host.Close()
		return err
	}
	return nil
}

// Run runs the retry loop for stored webhooks and a poller per connector
// that polls, until ctx ends. Call it after Start.
func (c *Connectors) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { c.retryLoop(ctx) })
	for _, st := range c.host.List() {
		if slices.Contains(st.Capabilities, "polling") {
			interval := c.cfg.PollIntervals[st.Name]
			if interval <= 0 {
				interval = defaultPollInterval
			}
			wg.Go(func() { c.pollLoop(ctx, st.Name, interval) })
		}
	}
	wg.Wait()
}

// Close stops every plugin. Stop Run (cancel its context) first.
func (c *Connectors) Close() { c.host.Close() }

// Host returns the plugin host, for listing and inspecting the plugins.
func (c *Connectors) Host() *plugins.Host { return c.host }

// Names returns the enabled connectors' names, in config order.
func (c *Connectors) Names() []string { return slices.Clone(c.names) }

func (c *Connectors) enabled(name string) bool { return slices.Contains(c.names, name) }

// CheckBinaries checks what config validation cannot see: each enabled
// connector's binary exists, is executable and, when sha256 is set, has
// that checksum. It returns one line per problem, each starting with the
// key path, or nil.
func CheckBinaries(cfg *config.Config) []string {
	var problems []string
	for i, cn := range cfg.Connectors {
		if !cn.Enabled || cn.Path == "" {
			continue
		}
		p := fmt.Sprintf("connectors[%d]", i)
		st, err := os.Stat(cn.Path)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s.path: %v", p, err))
			continue
		case st.IsDir() || st.Mode()&0o111 == 0:
			problems = append(problems, fmt.Sprintf("%s.path: %s is not an executable file", p, cn.Path))
			continue
		}
		if cn.SHA256 == "" {
			continue
		}
		sum, err := fileSHA256(cn.Path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s.path: %v", p, err))
		} else if sum != cn.SHA256 {
			problems = append(problems, fmt.Sprintf("%s.sha256: %s has SHA-256 %s, not %s (rebuilt? update sha256 from sha256sum)", p, cn.Path, sum, cn.SHA256))
		}
	}
	return problems
}
