package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/parley-hub/parley/core/api"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/escalation"
	"github.com/parley-hub/parley/core/flows"
	"github.com/parley-hub/parley/core/inbox"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// Options are what Run needs besides the config.
type Options struct {
	// Log receives Parley's logs.
	Log *slog.Logger
	// Out receives the start-up banner (URLs, the sandbox API key); nil discards it.
	Out io.Writer
	// Ready, if set, is called with the listening URLs once Parley serves.
	Ready func(Info)
	// ConfigFile, if set, is watched: when it changes, flows, templates and
	// the policy rules reload without a restart.
	ConfigFile string
}

// Info describes a running Parley.
type Info struct {
	// URL is the base URL of the API.
	URL string
	// EmulatorURL is the embedded emulator's base URL (sandbox mode only).
	EmulatorURL string
	// APIKey is the sandbox API key (sandbox mode only).
	APIKey string
}

// Run starts Parley and blocks until ctx is done, then shuts down in
// reverse order: HTTP first (no new work), then the pipeline (in-flight
// messages finish or stay leased for the next start), then the store.
func Run(ctx context.Context, cfg *config.Config, opts Options) (err error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	db, err := store.Open(ctx, store.Config{Path: cfg.StorePath(), BusyTimeout: cfg.Store.BusyTimeout, Synchronous: cfg.Store.Synchronous, Readers: cfg.Store.Readers})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	// This process holds the database's lock: leases left by a crashed run
	// are handed back now, so its claimed work resumes at once.
	if n, err := pubsub.ReleaseLeases(ctx, db); err != nil {
		return err
	} else if n > 0 {
		log.Info("resuming work a previous run had claimed", "batches", n)
	}

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on server.addr %s: %w", cfg.Server.Addr, err)
	}
	defer ln.Close()
	info := Info{URL: "http://" + ln.Addr().String()}
	if cfg.Server.PublicURL != "" {
		info.URL = cfg.Server.PublicURL
	}

	if cfg.Server.PprofAddr != "" {
		if err := startPprof(ctx, cfg.Server.PprofAddr, log); err != nil {
			return err
		}
	}

	wa := cfg.WhatsApp
	keyHashes := cfg.APIKeyHashes()
	var emu *emulator.Emulator
	if cfg.Mode == config.ModeSandbox {
		secrets, err := loadSandboxSecrets(cfg.DataDir)
		if err != nil {
			return err
		}
		info.APIKey = secrets.APIKey
		keyHashes = append(keyHashes, config.KeyHash{Name: "sandbox", Hash: config.HashAPIKey(secrets.APIKey), Scopes: []string{config.ScopeAdmin}})
		wa.AppSecret, wa.VerifyToken, wa.AccessToken = config.Secret(secrets.AppSecret), config.Secret(secrets.VerifyToken), config.Secret(secrets.AccessToken)
		emu, info.EmulatorURL, err = startEmulator(ctx, cfg, secrets, info.URL+"/webhooks/whatsapp", log)
		if err != nil {
			return err
		}
		defer emu.Close()
		wa.BaseURL = info.EmulatorURL
		wa.PhoneNumberID, wa.WABAID = emulator.DefaultPhoneNumberID, emulator.DefaultWABAID
	}

	client, err := whatsapp.NewClient(whatsapp.ClientConfig{
		BaseURL: wa.BaseURL, APIVersion: wa.APIVersion, PhoneNumberID: wa.PhoneNumberID, WABAID: wa.WABAID,
		AccessToken: string(wa.AccessToken), Timeout: wa.Timeout,
	})
	if err != nil {
		return err
	}
	messages := delivery.NewStore(db)
	events := ingest.New(db, pipeline.TopicEvents)
	in := inbox.New(db, messages, pipeline.TopicWebhooks, log).WithInboundTopic(pipeline.TopicInbound).WithStatusHook(policy.StatusHookTx)
	conns, err := startConnectors(ctx, cfg, db, events, log)
	if err != nil {
		return err
	}
	stopConnectors := conns.Close // becomes runConnectors' stop once they run
	defer func() { stopConnectors() }()
	dlq, err := newDeadLetters(db, messages, in)
	if err != nil {
		return err
	}
	mtr, err := newMetrics(db, dlq, conns.Host(), log)
	if err != nil {
		return err
	}
	in.WithStatusObserver(mtr)
	var metricsOnAPI http.Handler
	if cfg.Server.MetricsAddr != "" {
		if err := serveMetrics(ctx, cfg.Server.MetricsAddr, mtr.Handler(), log); err != nil {
			return err
		}
	} else {
		metricsOnAPI = mtr.Handler()
	}
	pol, err := newPolicy(cfg, db, messages, events, conns, log)
	if err != nil {
		return err
	}
	router := flows.New(db, messages, cfg.Flows, pipeline.TopicGate).WithActions(conns).WithPolicy(pol.flows)
	stopWatch, err := pol.watchConfig(opts.ConfigFile, router, log)
	if err != nil {
		return err
	}
	defer stopWatch()
	receiver, err := whatsapp.NewReceiver(whatsapp.ReceiverConfig{
		AppSecret: string(wa.AppSecret), VerifyToken: string(wa.VerifyToken), MaxBodyBytes: cfg.Server.MaxBodyBytes, Sink: in, Logger: log,
	})
	if err != nil {
		return err
	}

	pipe, err := pipeline.New(db, pipeline.Config{
		Retry: cfg.Pipeline.Retry, LeaseTimeout: cfg.Pipeline.LeaseTimeout, BatchSize: cfg.Pipeline.BatchSize, Log: log,
	}, pipeline.Stages{
		Flows:        router.Handle,
		Gate:         pol.gate.Handle,
		Send:         delivery.NewSender(messages, mtr.Client(client), log).WithGuard(pol.pacing).Handle,
		Conversation: pol.conversation.Handle,
		Timers:       pol.timers,
		Webhook:      in.Handle,
		Actions:      conns.HandleAction,
		Escalation:   escalation.New(escalation.Config{DB: db, Events: events, Keywords: cfg.Escalation.Keywords, Log: log}).Handle,
		DeadLetterHooks: map[string]deadletter.Hook{
			pipeline.TopicOutbox:  messages.DeadLetterHook,
			pipeline.TopicGate:    messages.DeadLetterHook,
			pipeline.TopicActions: conns.DeadLetterHook,
		},
	})
	if err != nil {
		return err
	}

	srv, err := api.New(api.Config{
		Keys: apiKeys(keyHashes, time.Now(), log), DeadLetters: dlq, Metrics: metricsOnAPI, Observer: mtr,
		MaxBodyBytes: cfg.Server.MaxBodyBytes, Events: events, Messages: messages,
		Direct: &api.Direct{DB: db, Messages: messages, Topic: pipeline.TopicGate},
		Policy: &api.Policy{DB: db, Contacts: pol.contacts, Handoff: pol.handoff, Audit: pol.audit, Phones: contacts.Phones{DefaultRegion: cfg.Contacts.DefaultRegion},
			Templates: pol.templates, SyncTemplates: func(ctx context.Context) (int, error) { return templates.Sync(ctx, db, client, time.Now()) }},
		Webhook: receiver, Connectors: conns, Plugins: conns.Host(), Log: log,
		Ready: func(ctx context.Context) error {
			select {
			case <-pipe.Running():
			default:
				return errors.New("pipeline starting")
			}
			return db.Reader().PingContext(ctx)
		},
	})
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadTimeout: cfg.Server.ReadTimeout, WriteTimeout: cfg.Server.WriteTimeout, ReadHeaderTimeout: 5 * time.Second}

	stopConnectors = runConnectors(ctx, conns)
	pipeErr := make(chan error, 1)
	go func() { pipeErr <- pipe.Run(ctx) }()
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(ln) }()
	select {
	case <-pipe.Running():
	case err := <-pipeErr:
		return fmt.Errorf("pipeline: %w", err)
	}

	if wa.WABAID != "" {
		pol.syncTemplates(ctx, db, client, log)
	}
	banner(out, cfg, info)
	log.Info("parley started", "mode", cfg.Mode, "url", info.URL, "emulator", info.EmulatorURL, "db", db.Path())
	if opts.Ready != nil {
		opts.Ready(info)
	}

	select {
	case <-ctx.Done():
	case err = <-httpErr:
		err = fmt.Errorf("http server: %w", err)
	case err = <-pipeErr:
		err = fmt.Errorf("pipeline: %w", err)
	}
	log.Info("parley stopping")
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	err = errors.Join(err, httpSrv.Shutdown(sctx), pipe.Close())
	stopConnectors()
	return err
}

func banner(out io.Writer, cfg *config.Config, info Info) {
	fmt.Fprintf(out, "Parley is running (%s mode)\n", cfg.Mode)
	fmt.Fprintf(out, "  API:       %s/v1/\n", info.URL)
	fmt.Fprintf(out, "  Webhook:   %s/webhooks/whatsapp\n", info.URL)
	fmt.Fprintf(out, "  Database:  %s\n", cfg.StorePath())
	connectorBanner(out, cfg, info.URL)
	if cfg.Mode == config.ModeSandbox {
		fmt.Fprintf(out, "  Emulator:  %s (Cloud API sandbox; customer messages: POST %s/_emulator/inbound)\n", info.EmulatorURL, info.EmulatorURL)
		fmt.Fprintf(out, "  API key:   %s\n", info.APIKey)
		fmt.Fprintf(out, "\nTry it:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"type\":\"order.shipped\",\"source\":\"shop\",\"id\":\"1001\",\"contact\":{\"phone\":\"+16505551234\",\"name\":\"Ana\"},\"data\":{\"order_number\":\"1001\",\"tracking_url\":\"https://track.example/1001\"}}' \\\n    %s/v1/events\n", info.APIKey, info.URL)
	}
}
