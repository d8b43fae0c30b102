package main

import (
	"context"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/hub"
)

// serveCmd runs Parley.
type serveCmd struct{ env }

func (c *serveCmd) Run(ctx context.Context, args []string) int {
	fs := c.newFlags("serve")
	file := fs.String("config", "", "config file (default: $PARLEY_CONFIG, else the sandbox)")
	addr := fs.String("addr", "", "listen address, overriding server.addr")
	data := fs.String("data", "", "data directory, overriding data_dir")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, err := config.Load(config.LoadOptions{File: *file})
	if err != nil {
		return c.fail(err)
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if err := cfg.Validate(); err != nil {
		return c.fail(err)
	}
	if err := hub.Run(ctx, cfg, hub.Options{Log: newLogger(c.stderr, cfg), Out: c.stdout}); err != nil {
		return c.fail(err)
	}
	return 0
}
