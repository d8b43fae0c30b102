package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
)

const templatesUsage = "usage: parley templates sync [--config FILE] [--data DIR]\n       parley templates sync --url URL [--key KEY]"

// templatesCmd is "parley templates sync": it pulls the approval status of
// every template of the WhatsApp Business Account from the Cloud API
// (GET /{waba-id}/message_templates) into the database, where the policy
// gate reads it. With --url it asks a running Parley to do it (the
// database belongs to one process at a time).
type templatesCmd struct{ env }

func (c *templatesCmd) Run(ctx context.Context, args []string) int {
	fs := c.newFlags("templates sync")
	file := fs.String("config", "", "config file (default: $PARLEY_CONFIG)")
	data := fs.String("data", "", "data directory, overriding data_dir")
	url := fs.String("url", "", "a running Parley's base URL, e.g. http://127.0.0.1:8080: sync through it")
	key := fs.String("key", "", "API key for --url (default: $PARLEY_API_KEY); needs the messages:send scope")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *url != "" {
		k := *key
		if k == "" {
			k = os.Getenv(config.EnvAPIKey)
		}
		return c.remote(ctx, strings.TrimSuffix(*url, "/"), k)
	}
	cfg, err := config.Load(config.LoadOptions{File: *file})
	if err != nil {
		return c.fail(err)
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if cfg.Mode == config.ModeSandbox {
		return c.fail(errors.New("in sandbox mode Parley syncs its emulator's templates at start; to sync a running Parley, use --url"))
	}
	if cfg.WhatsApp.WABAID == "" {
		return c.fail(errors.New("whatsapp.waba_id is not set: the templates endpoint is per WhatsApp Business Account"))
	}
	wa := cfg.WhatsApp
	client, err := whatsapp.NewClient(whatsapp.ClientConfig{
		BaseURL: wa.BaseURL, APIVersion: wa.APIVersion, PhoneNumberID: wa.PhoneNumberID, WABAID: wa.WABAID,
		AccessToken: string(wa.AccessToken), Timeout: wa.Timeout,
	})
	if err != nil {
		return c.fail(err)
	}
	db, err := store.Open(ctx, store.Config{Path: cfg.StorePath(), BusyTimeout: cfg.Store.BusyTimeout, Synchronous: cfg.Store.Synchronous, Readers: 1})
	if errors.Is(err, store.ErrLocked) {
		return c.fail(fmt.Errorf("%w: Parley is running on this database; use --url to sync through it", err))
	}
	if err != nil {
		return c.fail(err)
	}
	defer db.Close()
	n, err := templates.Sync(ctx, db, client, time.Now())
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "synced %d template languages\n", n)
	return 0
}

func (c *templatesCmd) remote(ctx context.Context, base, key string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/templates/sync", nil)
	if err != nil {
		return c.fail(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return c.fail(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return c.fail(fmt.Errorf("POST %s/v1/templates/sync: %s: %s", base, res.Status, strings.TrimSpace(string(body))))
	}
	var out struct {
		Synced int `json:"synced"`
	}
	_ = json.Unmarshal(body, &out)
	fmt.Fprintf(c.stdout, "synced %d template languages\n", out.Synced)
	return 0
}
