package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/connector"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/pipeline"
	"github.com/parley-hub/parley/core/store"
)

// startConnectors launches the configured connector plugins and checks the
// flows' actions against them. The caller must Close the result.
func startConnectors(ctx context.Context, cfg *config.Config, db *store.DB, events *ingest.Events, log *slog.Logger) (*connector.Connectors, error) {
	pcs, err := connector.PluginConfigs(cfg, log)
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	conns, err := connector.New(connector.Config{
		DB: db, Events: events, Plugins: pcs, PollIntervals: connector.PollIntervals(cfg),
		Flows: cfg.Flows, Templates: cfg.Templates, ActionsTopic: pipeline.TopicActions,
		MaxBodyBytes: cfg.Server.MaxBodyBytes, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	if err := conns.Start(ctx); err != nil {
		return nil, err
	}
	return conns, nil
}

// runConnectors runs the connectors' retry loop and pollers; stop ends them
// and waits, then stops the plugins.
func runConnectors(ctx context.Context, conns *connector.Connectors) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { conns.Run(ctx); close(done) }()
	return func() {
		cancel()
		<-done
		conns.Close()
	}
}

// connectorBanner lists the connectors' webhook URLs.
func connectorBanner(out io.Writer, cfg *config.Config, url string) {
	for _, cn := range cfg.Connectors {
		if cn.Enabled {
			fmt.Fprintf(out, "  Connector: %s %s/connectors/%s/webhook\n", cn.Name, url, cn.Name)
		}
	}
}
