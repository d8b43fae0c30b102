package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
	"github.com/parley-hub/parley/sdk"
)

// The states of a connector_inbox row (see migration 0003).
const (
	statePending   = "pending"
	stateProcessed = "processed"
	stateDuplicate = "duplicate"
	stateRejected  = "rejected"
	stateBad       = "bad"
	stateDead      = "dead"
)

// TopicInboxDeadLetters is the topic recorded on the dead letter of a stored
// webhook that failed for good; its payload is the connector_inbox id.
const TopicInboxDeadLetters = "connectors.webhooks"

// verdict is what became of one stored request, and what its sender hears.
type verdict struct {
	State       string `json:"status"`
	InboxID     int64  `json:"inbox_id"`
	Events      int    `json:"events"`
	Replayed    int    `json:"replayed,omitempty"` // events stored before, under the same key
	Skipped     int    `json:"skipped"`
	DuplicateOf int64  `json:"duplicate_of,omitempty"`

	status      int    // the HTTP status to answer
	code        string // the error code, for 4xx answers
	message     string // the error message, for 4xx answers; safe to show
	unavailable bool   // left pending because the plugin is down
}

func (v verdict) write(w http.ResponseWriter) {
	if v.status >= 400 {
		writeError(w, v.status, v.code, v.message)
		return
	}
	writeJSON(w, v.status, v)
}

// process hands a stored request to its plugin and settles the row by the
// answer (see ServeHTTP for the outcomes). It never fails: whatever cannot
// be settled now stays pending, and the retry loop tries again.
func (c *Connectors) process(ctx context.Context, req *request) verdict {
	client, _ := c.host.Connector(req.connector)
	cctx, cancel := context.WithTimeout(ctx, c.cfg.WebhookTimeout)
	res, err := client.HandleWebhook(cctx, req.sdk())
	cancel()
	sctx := context.WithoutCancel(ctx)
	log := c.log.With("connector", req.connector, "inbox_id", req.id)
	stored := verdict{State: "stored", InboxID: req.id, status: http.StatusAccepted}
	switch {
	case err == nil:
		v, err := c.settleProcessed(sctx, req, res)
		if err != nil {
			if !errors.Is(err, errSettled) {
				log.Error("store connector events; the request stays pending", "error", err)
			}
			return stored
		}
		return v
	case errors.Is(err, sdk.ErrUnauthorized):
		log.Warn("connector refused a webhook's signature", "error", err)
		c.settleFailed(sctx, req, stateRejected, err.Error())
		return verdict{State: stateRejected, InboxID: req.id, status: http.StatusUnauthorized, code: "unauthorized",
			message: "the connector refused the request's signature or credentials"}
	case errors.Is(err, sdk.ErrBadRequest):
		log.Info("connector found a webhook malformed", "error", err)
		c.settleFailed(sctx, req, stateBad, err.Error())
		return verdict{State: stateBad, InboxID: req.id, status: http.StatusBadRequest, code: "bad_request", message: err.Error()}
	case errors.Is(err, sdk.ErrNotSupported):
		c.settleFailed(sctx, req, stateBad, err.Error())
		return verdict{State: stateBad, InboxID: req.id, status: http.StatusNotFound, code: "no_webhooks",
			message: fmt.Sprintf("connector %q takes no webhooks", req.connector)}
	case errors.Is(err, plugins.ErrUnavailable), errors.Is(err, sdk.ErrNotConfigured), ctx.Err() != nil:
		// Down or restarting (or Parley is stopping): the retry loop hands the
		// request over at its next look once the plugin is back.
		log.Debug("connector unavailable; webhook stored for later", "error", err)
		c.postpone(sctx, req, c.now(), false, err.Error())
		stored.unavailable = true
		return stored
	}
	// The plugin could not settle it now: a RetryableError, a timeout or an
	// error it did not classify. Try again later, a bounded number of times.
	wait := backoff(req.attempts)
	if after, ok := sdk.IsRetryable(err); ok {
		wait = max(wait, after)
	}
	if req.attempts+1 >= c.cfg.MaxAttempts {
		log.Error("connector webhook failed for good; dead-lettered", "attempts", req.attempts+1, "error", err)
		c.settleDead(sctx, req, fmt.Sprintf("after %d attempts: %v", req.attempts+1, err))
		return stored
	}
	log.Warn("connector could not handle a webhook; will retry", "attempt", req.attempts+1, "retry_in", wait, "error", err)
	c.postpone(sctx, req, c.now().Add(wait), true, err.Error())
	return stored
}

// backoff is the wait before retrying a request that has failed n times.
func backoff(n int) time.Duration {
	return min(time.Second<<min(n, 16), 5*time.Minute)
}

// prepared is what a webhook (or a poll) turned into, decoded outside the
// write transaction: the events to store and the items to record as skips.
type prepared struct {
	events []*ingest.Decoded
	skips  []skip
}

type skip struct {
	id, reason string
	body       []byte // the refused event, when the hub refused it
}

// prepare decodes the connector's events as canonical events. An event the
// hub refuses (a missing id, a bad occurred_at) becomes a skip with the
// reason and the raw event.
func (c *Connectors) prepare(connector string, evs []sdk.Event, skipped []sdk.Skip) prepared {
	var p prepared
	for _, ev := range evs {
		if ev.Source == "" {
			ev.Source = connector
		}
		raw, err := marshalEvent(ev)
		if err == nil {
			var d *ingest.Decoded
			if d, err = c.cfg.Events.Decode(raw, ""); err == nil {
				p.events = append(p.events, d)
				continue
			}
		}
		p.skips = append(p.skips, skip{id: ev.ID, reason: "refused by the hub: " + err.Error(), body: raw})
	}
	for _, s := range skipped {
		p.skips = append(p.skips, skip{id: s.ID, reason: s.Reason})
	}
	return p
}

// storeTx stores prepared events and skips; inboxID is 0 for a poll.
func (c *Connectors) storeTx(ctx context.Context, tx *store.Tx, connector string, inboxID int64, p prepared, now int64) (stored, replayed int, err error) {
	for _, d := range p.events {
		res, err := c.cfg.Events.StoreTx(ctx, tx, d)
		if err != nil {
			return 0, 0, err
		}
		if res.Replayed {
			replayed++
		} else {
			stored++
		}
	}
	var inbox any
	if inboxID != 0 {
		inbox = inboxID
	}
	for _, s := range p.skips {
		if _, err := tx.Exec(ctx, `INSERT INTO connector_skips(connector, inbox_id, item_id, reason, body, created_at) VALUES (?,?,?,?,?,?)`,
			connector, inbox, nullable(s.id), s.reason, s.body, now); err != nil {
			return 0, 0, fmt.Errorf("record skip: %w", err)
		}
	}
	return stored, replayed, nil
}

// settleProcessed stores what the plugin returned and marks the row
// processed, in one transaction: the delivery's dedupe key first (a
// redelivery of a processed delivery is marked duplicate and stores
// nothing), then the events through ingest and the skips. It fails with
// errSettled, having stored nothing, if the row is no longer pending.
func (c *Connectors) settleProcessed(ctx context.Context, req *request, res sdk.WebhookResult) (verdict, error) {
	p := c.prepare(req.connector, res.Events, res.Skipped)
	status := res.Status
	if status == 0 {
		status = http.StatusOK
	}
	var v verdict
	err := c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		now := c.now().UnixMilli()
		v = verdict{State: stateProcessed, InboxID: req.id, status: status}
		// claim marks the row settled, unless the HTTP path and the retry
		// loop met and the other one did it first: then everything this
		// function wrote is rolled back with errSettled.
		claim := func(query string, args ...any) error {
			r, err := tx.Exec(ctx, query, args...)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return errSettled
			}
			return nil
		}
		if res.DedupeKey != "" {
			r, err := tx.Exec(ctx, `INSERT INTO connector_deliveries(connector, dedupe_key, inbox_id, created_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
				req.connector, res.DedupeKey, req.id, now)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				if err := tx.QueryRow(ctx, `SELECT inbox_id FROM connector_deliveries WHERE connector = ? AND dedupe_key = ?`,
					req.connector, res.DedupeKey).Scan(&v.DuplicateOf); err != nil {
					return err
				}
				v.State, v.status = stateDuplicate, http.StatusOK
				return claim(`UPDATE connector_inbox SET state = ?, dedupe_key = ?, reason = ?, processed_at = ? WHERE id = ? AND state = ?`,
					stateDuplicate, res.DedupeKey, fmt.Sprintf("redelivery of inbox #%d (dedupe key %q)", v.DuplicateOf, res.DedupeKey), now, req.id, statePending)
			}
		}
		var err error
		if v.Events, v.Replayed, err = c.storeTx(ctx, tx, req.connector, req.id, p, now); err != nil {
			return err
		}
		v.Skipped = len(p.skips)
		return claim(`UPDATE connector_inbox SET state = ?, dedupe_key = ?, events = ?, skipped = ?, processed_at = ?, reason = NULL WHERE id = ? AND state = ?`,
			stateProcessed, nullable(res.DedupeKey), v.Events, v.Skipped, now, req.id, statePending)
	})
	if err != nil {
		return verdict{}, err
	}
	return v, nil
}

// settleFailed marks a pending row rejected or bad, with the reason.
func (c *Connectors) settleFailed(ctx context.Context, req *request, state, reason string) {
	err := c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE connector_inbox SET state = ?, reason = ?, processed_at = ? WHERE id = ? AND state = ?`,
			state, reason, c.now().UnixMilli(), req.id, statePending)
		return err
	})
	if err != nil {
		c.log.Error("settle connector webhook", "connector", req.connector, "inbox_id", req.id, "state", state, "error", err)
	}
}

// settleDead marks a pending row dead and records a dead letter for it.
func (c *Connectors) settleDead(ctx context.Context, req *request, reason string) {
	err := c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		now := c.now().UnixMilli()
		r, err := tx.Exec(ctx, `UPDATE connector_inbox SET state = ?, reason = ?, attempts = attempts + 1, processed_at = ? WHERE id = ? AND state = ?`,
			stateDead, reason, now, req.id, statePending)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
		meta, _ := json.Marshal(map[string]string{"connector": req.connector})
		_, err = tx.Exec(ctx, `INSERT INTO dead_letters(uuid, topic, handler, reason, payload, metadata, created_at) VALUES (?,?,?,?,?,?,?)`,
			fmt.Sprintf("connector_inbox-%d", req.id), TopicInboxDeadLetters, "connector-webhook", reason, []byte(fmt.Sprint(req.id)), string(meta), now)
		return err
	})
	if err != nil {
		c.log.Error("dead-letter connector webhook", "connector", req.connector, "inbox_id", req.id, "error", err)
	}
}

// postpone leaves a row pending until next, counting a failed attempt when
// attempt is set, and records why.
func (c *Connectors) postpone(ctx context.Context, req *request, next time.Time, attempt bool, reason string) {
	inc := 0
	if attempt {
		inc = 1
	}
	err := c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE connector_inbox SET next_attempt_at = ?, attempts = attempts + ?, reason = ? WHERE id = ? AND state = ?`,
			next.UnixMilli(), inc, reason, req.id, statePending)
		return err
	})
	if err != nil {
		c.log.Error("postpone connector webhook", "connector", req.connector, "inbox_id", req.id, "error", err)
	}
}

// wireEvent is sdk.Event as the hub's event decoder reads it: a zero
// OccurredAt is left out, so that the hub uses its receive time.
type wireEvent struct {
	Type       string         `json:"type"`
	Source     string         `json:"source"`
	ID         string         `json:"id"`
	OccurredAt string         `json:"occurred_at,omitempty"`
	Contact    sdk.Contact    `json:"contact"`
	Data       map[string]any `json:"data,omitempty"`
}

func marshalEvent(ev sdk.Event) ([]byte, error) {
	w := wireEvent{Type: ev.Type, Source: ev.Source, ID: ev.ID, Contact: ev.Contact, Data: ev.Data}
	if !ev.OccurredAt.IsZero() {
		w.OccurredAt = ev.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(w)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
