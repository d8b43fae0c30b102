package connector

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
	"github.com/parley-hub/parley/sdk"
)

// pollLoop calls the connector's Poll until ctx ends: with the stored
// cursor, storing the events and the new cursor together, then waiting
// what the connector asked for (PollResult.Wait), or interval when it did
// not say. A plugin that is down is asked again every RetryInterval.
func (c *Connectors) pollLoop(ctx context.Context, name string, interval time.Duration) {
	client, _ := c.host.Connector(name)
	log := c.log.With("connector", name)
	cursor, err := c.loadCursor(ctx, name)
	if err != nil {
		log.Error("load poll cursor; not polling", "error", err)
		return
	}
	var wait time.Duration
	for {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, c.cfg.ActionTimeout)
		res, err := client.Poll(pctx, cursor)
		cancel()
		switch {
		case err == nil:
			if err := c.storePoll(ctx, name, cursor, res); err != nil {
				log.Error("store polled events", "error", err)
				wait = interval
				continue
			}
			cursor, wait = res.Cursor, res.Wait
			if wait <= 0 {
				wait = interval
			}
		case ctx.Err() != nil:
			return
		case errors.Is(err, sdk.ErrNotSupported):
			log.Info("connector does not poll after all; polling stopped", "error", err)
			return
		case errors.Is(err, plugins.ErrUnavailable):
			wait = c.cfg.RetryInterval
		default:
			wait = interval
			if after, ok := sdk.IsRetryable(err); ok && after > 0 {
				wait = after
			}
			log.Warn("poll failed", "error", err, "retry_in", wait)
		}
	}
}

func (c *Connectors) loadCursor(ctx context.Context, name string) (string, error) {
	var cursor string
	err := c.cfg.DB.ReadRow(ctx, `SELECT cursor FROM connector_cursors WHERE connector = ?`, name).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return cursor, err
}

// storePoll stores a poll's events and its cursor in one transaction, so a
// crash between them cannot skip or repeat a page.
func (c *Connectors) storePoll(ctx context.Context, name, old string, res sdk.PollResult) error {
	if len(res.Events) == 0 && res.Cursor == old {
		return nil
	}
	p := c.prepare(name, res.Events, nil)
	return c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		now := c.now().UnixMilli()
		if _, _, err := c.storeTx(ctx, tx, name, 0, p, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO connector_cursors(connector, cursor, updated_at) VALUES (?,?,?)
			ON CONFLICT(connector) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`, name, res.Cursor, now)
		return err
	})
}
