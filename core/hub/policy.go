package hub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/knadh/koanf/providers/file"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/conversation"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/flows"
	"github.com/parley-hub/parley/core/guard"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/window"
)

// policyParts are the policy gate's pieces, wired for one Parley.
type policyParts struct {
	contacts     *contacts.Store
	handoff      *handoff.Store
	audit        *policy.Audit
	templates    *templates.Registry
	gate         *policy.Gate
	pacing       *policy.Pacing
	conversation *conversation.Stage
	flows        *flows.Policy
	timers       []func(context.Context) error
}

// newPolicy builds the gate, the conversation stage and their timers.
func newPolicy(cfg *config.Config, db *store.DB, messages *delivery.Store, events *ingest.Events, actions policy.ActionQueue, log *slog.Logger) (*policyParts, error) {
	rules, err := policy.NewRules(cfg)
	if err != nil {
		return nil, err
	}
	zone := contacts.LoadLocation(cfg.Contacts.DefaultTimeZone)
	if zone == nil {
		return nil, fmt.Errorf("contacts.default_time_zone: unknown zone %q", cfg.Contacts.DefaultTimeZone)
	}
	phones := contacts.Phones{DefaultRegion: cfg.Contacts.DefaultRegion}
	p := &policyParts{
		contacts: contacts.NewStore(db, contacts.Config{MergeHooks: []contacts.MergeHook{window.MergeTx, handoff.MergeTx, policy.MergeTx}}),
		handoff:  handoff.NewStore(db),
		audit:    policy.NewAudit(db),
		templates: templates.NewRegistry(db, templates.Config{
			Templates: cfg.Templates, DefaultLocale: cfg.Contacts.DefaultLocale,
		}),
	}
	var pairs *guard.Pairs
	var number *guard.Pacer
	if pc := cfg.Guard.Pacing; pc.Enabled {
		pairs = guard.NewPairs(pc.PairInterval, pc.PairBurst)
		number = guard.NewPacer(pc.Rate)
	}
	p.gate, err = policy.New(policy.Config{
		DB: db, Messages: messages, Contacts: p.contacts, Templates: p.templates, Rules: rules, Pairs: pairs,
		Actions: actions, GateTopic: pipeline.TopicGate, OutboxTopic: pipeline.TopicOutbox,
		DefaultZone: zone, Phones: phones, Log: log.With("stage", "gate"),
	})
	if err != nil {
		return nil, err
	}
	p.pacing = policy.NewPacing(db, number, pairs)
	p.conversation = conversation.New(conversation.Config{
		DB: db, Contacts: p.contacts, Messages: messages, Events: events,
		Keywords: consent.NewKeywords(cfg.Consent.Keywords), StopPurposes: cfg.Consent.StopPurposes,
		Escalation: cfg.Escalation.Keywords, GateTopic: pipeline.TopicGate, Phones: phones, Log: log,
	})
	p.flows = &flows.Policy{Contacts: p.contacts, Templates: p.templates, Phones: phones, DefaultLocale: cfg.Contacts.DefaultLocale}
	deferred := policy.NewDeferred(db, policy.DeferredConfig{GateTopic: pipeline.TopicGate, Log: log})
	expiring := window.NewExpiring(db, events, window.ExpiringConfig{Before: cfg.Window.ExpiringBefore, Log: log})
	p.timers = []func(context.Context) error{deferred.Run, expiring.Run}
	return p, nil
}

// syncTemplates pulls the templates' approval statuses from the Cloud API
// once, in the background; a failure is logged (statuses still come by
// webhook, and parley templates sync can be run by hand).
func (p *policyParts) syncTemplates(ctx context.Context, db *store.DB, l templates.Lister, log *slog.Logger) {
	go func() {
		n, err := templates.Sync(ctx, db, l, time.Now())
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("template sync at start", "error", err)
			}
			return
		}
		p.templates.Invalidate()
		log.Info("templates synced", "variants", n)
	}()
}

// watchConfig reloads flows, templates and the policy rules when the
// config file changes, without a restart. A file that no longer loads is
// reported and ignored: the running config stays. Other keys need a
// restart. It returns a function that stops watching.
func (p *policyParts) watchConfig(path string, router *flows.Router, log *slog.Logger) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	fp := file.Provider(path)
	var mu sync.Mutex
	var timer *time.Timer
	reload := func() {
		cfg, err := config.Load(config.LoadOptions{File: path})
		if err != nil {
			log.Error("config file changed but does not load; keeping the running flows and templates", "file", path, "error", err)
			return
		}
		rules, err := policy.NewRules(cfg)
		if err != nil {
			log.Error("config file changed but its rules do not load", "file", path, "error", err)
			return
		}
		p.templates.Reload(cfg.Templates)
		router.Reload(cfg.Flows)
		p.gate.Reload(rules)
		log.Info("config reloaded", "file", path, "flows", len(cfg.Flows), "templates", len(cfg.Templates))
	}
	err := fp.Watch(func(_ any, err error) {
		if err != nil {
			log.Warn("config watch", "file", path, "error", err)
			return
		}
		// Editors write a file in several steps; reload once it settles.
		mu.Lock()
		defer mu.Unlock()
		if timer != nil {
			timer.Stop()
		}
		timer = time.AfterFunc(200*time.Millisecond, reload)
	})
	if err != nil {
		return nil, fmt.Errorf("watch config file %s: %w", path, err)
	}
	return func() {
		_ = fp.Unwatch()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
	}, nil
}
