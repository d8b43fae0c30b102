package connector

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/sdk"
)

// The states of a connector_actions row.
const (
	actionPending = "pending"
	actionDone    = "done"
	actionFailed  = "failed"
)

// maxRetryWait caps how long the actions stage honours a connector's
// RetryableError.After before handing the retry to the pipeline's back-off,
// so that one slow vendor does not hold a worker for minutes.
const maxRetryWait = 30 * time.Second

// EnqueueActionTx records the action flow f names for the event and
// publishes it on the actions topic, inside the flows stage's transaction
// (it implements flows.ActionQueue). One action exists per flow and event:
// a redelivered event adds nothing. The input templates are stored as
// configured and filled when the action runs, so that {{transcript}} holds
// the conversation as it is then.
func (c *Connectors) EnqueueActionTx(ctx context.Context, tx *store.Tx, f config.Flow, eventID string) error {
	conn, action, ok := strings.Cut(f.Action.Name, ".")
	if !ok {
		return deadletter.Permanent(fmt.Errorf("flow %q: action %q is not connector.action", f.Name, f.Action.Name))
	}
	if c.cfg.ActionsTopic == "" {
		return errors.New("connector: Config.ActionsTopic is not set")
	}
	input := map[string]string(f.Action.Input) // raw: Values' JSON redacts
	if input == nil {
		input = map[string]string{}
	}
	in, err := json.Marshal(input)
	if err != nil {
		return err
	}
	id := "act_" + strings.ToLower(ulid.Make().String())
	now := c.now().UnixMilli()
	r, err := tx.Exec(ctx, `INSERT INTO connector_actions(id, dedupe_key, flow, event_id, connector, action, input, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(dedupe_key) DO NOTHING`, id, f.Name+"|"+eventID, f.Name, eventID, conn, action, string(in), now, now)
	if err != nil {
		return fmt.Errorf("enqueue action %s for event %s: %w", f.Action.Name, eventID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil
	}
	return pubsub.PublishTx(tx, c.cfg.ActionsTopic, message.NewMessage(watermill.NewUUID(), []byte(id)))
}

// HandleAction is the handler of the actions topic; the payload is a
// connector_actions id. It fills the inputs from the event (and the
// transcript), calls the connector with the action id as the idempotency
// key, and records the outcome:
//
//   - done: the output is stored;
//   - a connector that is down, a RetryableError (after waiting its After,
//     up to 30 s) or an unclassified error: returned, so the pipeline
//     retries with back-off and, when retries run out, dead-letters it
//     (DeadLetterHook marks the action failed);
//   - sdk.ErrBadRequest, ErrUnauthorized or ErrNotSupported, or an unknown
//     connector: failed and dead-lettered at once with the reason.
//
// A done or failed action is not run again.
func (c *Connectors) HandleAction(msg *message.Message) error {
	ctx := msg.Context()
	id := string(msg.Payload)
	var (
		flow, eventID, conn, action, inputJSON, state string
		body                                          []byte
		received                                      int64
	)
	err := c.cfg.DB.ReadRow(ctx, `SELECT a.flow, a.event_id, a.connector, a.action, a.input, a.state, e.body, e.received_at
		FROM connector_actions a JOIN events e ON e.id = a.event_id WHERE a.id = ?`, id).
		Scan(&flow, &eventID, &conn, &action, &inputJSON, &state, &body, &received)
	if errors.Is(err, sql.ErrNoRows) {
		return deadletter.Permanent(fmt.Errorf("action %s: not found", id))
	}
	if err != nil {
		return fmt.Errorf("action %s: load: %w", id, err)
	}
	if state != actionPending {
		return nil
	}
	name := conn + "." + action
	fail := func(err error) error {
		err = fmt.Errorf("action %s (%s, flow %q, event %s): %w", id, name, flow, eventID, err)
		c.finishAction(ctx, id, actionFailed, nil, err.Error())
		return deadletter.Permanent(err)
	}
	ev, err := event.Decode(body, time.UnixMilli(received))
	if err != nil {
		return fail(err)
	}
	var tpl map[string]string
	if err := json.Unmarshal([]byte(inputJSON), &tpl); err != nil {
		return fail(fmt.Errorf("input: %w", err))
	}
	if !c.enabled(conn) {
		return fail(fmt.Errorf("%w %q (not configured or disabled)", ErrUnknownConnector, conn))
	}
	input, err := c.renderInput(ctx, tpl, ev)
	if err != nil {
		return fmt.Errorf("action %s (%s): input: %w", id, name, err)
	}
	client, _ := c.host.Connector(conn)
	cctx, cancel := context.WithTimeout(ctx, c.cfg.ActionTimeout)
	res, err := client.Do(cctx, sdk.ActionRequest{Action: action, IdempotencyKey: id, Input: input})
	cancel()
	if err == nil {
		c.finishAction(ctx, id, actionDone, res.Output, "")
		c.log.Info("connector action done", "action", name, "id", id, "flow", flow, "event", eventID)
		return nil
	}
	if errors.Is(err, sdk.ErrBadRequest) || errors.Is(err, sdk.ErrUnauthorized) || errors.Is(err, sdk.ErrNotSupported) {
		return fail(err)
	}
	c.recordAttempt(ctx, id, err.Error())
	if after, ok := sdk.IsRetryable(err); ok && after > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(min(after, maxRetryWait)):
		}
	}
	return fmt.Errorf("action %s (%s): %w", id, name, err)
}

// DeadLetterHook marks an action failed when the pipeline dead-letters it
// (retries exhausted), in the dead letter's transaction.
func (c *Connectors) DeadLetterHook(ctx context.Context, tx *store.Tx, msg *message.Message, reason string) error {
	_, err := tx.Exec(ctx, `UPDATE connector_actions SET state = ?, error = ?, updated_at = ? WHERE id = ? AND state = ?`,
		actionFailed, reason, c.now().UnixMilli(), string(msg.Payload), actionPending)
	return err
}

func (c *Connectors) finishAction(ctx context.Context, id, state string, output map[string]any, reason string) {
	var out any
	if output != nil {
		b, err := json.Marshal(output)
		if err == nil {
			out = string(b)
		}
	}
	ctx = context.WithoutCancel(ctx)
	err := c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE connector_actions SET state = ?, output = ?, error = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = ?`,
			state, out, nullable(reason), c.now().UnixMilli(), id, actionPending)
		return err
	})
	if err != nil {
		c.log.Error("record connector action", "id", id, "state", state, "error", err)
	}
}

func (c *Connectors) recordAttempt(ctx context.Context, id, reason string) {
	ctx = context.WithoutCancel(ctx)
	err := c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE connector_actions SET attempts = attempts + 1, error = ?, updated_at = ? WHERE id = ? AND state = ?`,
			reason, c.now().UnixMilli(), id, actionPending)
		return err
	})
	if err != nil {
		c.log.Error("record connector action attempt", "id", id, "error", err)
	}
}

// Action is a connector action a flow requested, as stored.
type Action struct {
	ID        string         `json:"id"`
	Flow      string         `json:"flow"`
	EventID   string         `json:"event_id"`
	Connector string         `json:"connector"`
	Action    string         `json:"action"`
	State     string         `json:"state"`
	Attempts  int            `json:"attempts"`
	Output    map[string]any `json:"output,omitempty"`
	Error     string         `json:"error,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// Actions returns the actions requested for an event, oldest first.
func (c *Connectors) Actions(ctx context.Context, eventID string) ([]Action, error) {
	rows, err := c.cfg.DB.Reader().QueryContext(ctx, `SELECT id, flow, event_id, connector, action, state, attempts, output, error, created_at, updated_at
		FROM connector_actions WHERE event_id = ? ORDER BY created_at, id`, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var output, reason sql.NullString
		var created, updated int64
		if err := rows.Scan(&a.ID, &a.Flow, &a.EventID, &a.Connector, &a.Action, &a.State, &a.Attempts, &output, &reason, &created, &updated); err != nil {
			return nil, err
		}
		if output.Valid {
			_ = json.Unmarshal([]byte(output.String), &a.Output)
		}
		a.Error = reason.String
		a.CreatedAt, a.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
