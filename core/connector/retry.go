package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// retryBatch is how many due requests the retry loop loads at a time, and
// retryWorkers how many of them it hands to a plugin at once.
const (
	retryBatch   = 64
	retryWorkers = 8
)

// retryLoop hands stored requests whose plugin was unavailable (or asked
// to retry) to the plugin, every RetryInterval, until ctx ends.
func (c *Connectors) retryLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.RetryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, name := range c.names {
			c.retryDue(ctx, name)
		}
	}
}

// retryDue processes the connector's due requests, oldest first, until none
// is left or the plugin turns out to be down.
func (c *Connectors) retryDue(ctx context.Context, name string) {
	for ctx.Err() == nil {
		reqs, err := c.loadDue(ctx, name, c.now(), retryBatch)
		if err != nil {
			c.log.Error("load stored connector webhooks", "connector", name, "error", err)
			return
		}
		if len(reqs) == 0 {
			return
		}
		var down atomic.Bool
		sem := make(chan struct{}, retryWorkers)
		var wg sync.WaitGroup
		for _, req := range reqs {
			if down.Load() || ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if v := c.process(ctx, req); v.unavailable {
					down.Store(true)
				}
			})
		}
		wg.Wait()
		if down.Load() || len(reqs) < retryBatch {
			return
		}
	}
}

// loadDue returns up to limit pending requests of the connector due at now.
func (c *Connectors) loadDue(ctx context.Context, name string, now time.Time, limit int) ([]*request, error) {
	rows, err := c.cfg.DB.Reader().QueryContext(ctx, `SELECT id, method, path, query, headers, body, received_at, attempts
		FROM connector_inbox WHERE state = 'pending' AND next_attempt_at <= ? AND connector = ? ORDER BY id LIMIT ?`,
		now.UnixMilli(), name, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*request
	for rows.Next() {
		r := &request{connector: name}
		var headers string
		var received int64
		if err := rows.Scan(&r.id, &r.method, &r.path, &r.query, &headers, &r.body, &received, &r.attempts); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(headers), &r.header); err != nil {
			return nil, fmt.Errorf("inbox %d: headers: %w", r.id, err)
		}
		if r.header == nil {
			r.header = http.Header{}
		}
		r.receivedAt = time.UnixMilli(received)
		out = append(out, r)
	}
	return out, rows.Err()
}
