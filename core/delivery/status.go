package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// statusDetail is what a history row keeps of a status webhook besides the
// status itself.
type statusDetail struct {
	Pricing      *whatsapp.Pricing       `json:"pricing,omitempty"`
	Conversation *whatsapp.Conversation  `json:"conversation,omitempty"`
	Errors       []whatsapp.WebhookError `json:"errors,omitempty"`
}

// ApplyStatusesTx applies status webhooks inside tx. It is idempotent and
// order-independent: a duplicate changes nothing, a status older than the
// current one is kept in the history but does not move the message back
// (whatsapp.Advance decides), and a status for a wamid Parley has not
// recorded yet is parked until RecordSubmitted adopts it. Statuses of one
// message are folded together, so a webhook batch costs one lookup and at
// most one update per message, and one history insert per 200 statuses.
func (s *Store) ApplyStatusesTx(ctx context.Context, tx *store.Tx, statuses []whatsapp.Status) error {
	now := s.now().UnixMilli()
	byWAMID := map[string][]whatsapp.Status{}
	var order []string
	for _, st := range statuses {
		if _, ok := byWAMID[st.ID]; !ok {
			order = append(order, st.ID)
		}
		byWAMID[st.ID] = append(byWAMID[st.ID], st)
	}
	var history []any
	var parked []any
	for _, wamid := range order {
		var id, cur string
		var hasPricing bool
		err := tx.QueryRow(ctx, `SELECT id, status, pricing IS NOT NULL FROM messages WHERE wamid = ?`, wamid).Scan(&id, &cur, &hasPricing)
		if errors.Is(err, sql.ErrNoRows) {
			for _, st := range byWAMID[wamid] {
				payload, err := json.Marshal(st)
				if err != nil {
					return fmt.Errorf("park status for %s: %w", wamid, err)
				}
				parked = append(parked, wamid, st.Status, payload, now)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("apply status for %s: %w", wamid, err)
		}
		rows, err := s.foldTx(ctx, tx, id, cur, hasPricing, byWAMID[wamid], now)
		if err != nil {
			return err
		}
		history = append(history, rows...)
	}
	if err := insertRows(ctx, tx, `INSERT OR IGNORE INTO message_statuses(message_id, status, source, at, recorded_at, detail) VALUES `, 6, history); err != nil {
		return fmt.Errorf("apply statuses: history: %w", err)
	}
	if err := insertRows(ctx, tx, `INSERT OR IGNORE INTO orphan_statuses(wamid, status, payload, recorded_at) VALUES `, 4, parked); err != nil {
		return fmt.Errorf("apply statuses: park: %w", err)
	}
	return nil
}

// foldTx applies one message's statuses: it returns their history rows and
// updates the message once if its state, pricing or error changed.
func (s *Store) foldTx(ctx context.Context, tx *store.Tx, id, cur string, hasPricing bool, sts []whatsapp.Status, now int64) ([]any, error) {
	var rows []any
	state := whatsapp.MessageState(cur)
	var pricing *whatsapp.Pricing
	var failure *whatsapp.WebhookError
	for _, st := range sts {
		at := now
		if sec, err := whatsapp.UnixString(st.Timestamp); err == nil {
			at = time.Unix(sec, 0).UnixMilli()
		}
		detail, err := json.Marshal(statusDetail{Pricing: st.Pricing, Conversation: st.Conversation, Errors: st.Errors})
		if err != nil {
			return nil, fmt.Errorf("apply status %s to %s: %w", st.Status, id, err)
		}
		rows = append(rows, id, st.Status, "webhook", at, now, string(detail))
		if st.Pricing != nil && !hasPricing && pricing == nil {
			pricing = st.Pricing
		}
		next, known := whatsapp.StateFromStatus(st.Status)
		if !known {
			continue // kept in the history; not a state Parley tracks
		}
		if moved, ok := whatsapp.Advance(state, next); ok {
			state = moved
			if moved == whatsapp.StateFailed && len(st.Errors) > 0 {
				failure = &st.Errors[0]
			}
		}
	}
	var sets []string
	var args []any
	if string(state) != cur {
		sets = append(sets, "status = ?")
		args = append(args, string(state))
	}
	if pricing != nil {
		p, _ := json.Marshal(pricing)
		sets = append(sets, "pricing = ?")
		args = append(args, string(p))
	}
	if failure != nil && state == whatsapp.StateFailed {
		d := failure.Message
		if failure.ErrorData != nil && failure.ErrorData.Details != "" {
			d = failure.ErrorData.Details
		}
		sets = append(sets, "error_code = ?", "error_title = ?", "error_detail = ?")
		args = append(args, failure.Code, failure.Title, d)
	}
	if len(sets) == 0 {
		return rows, nil
	}
	args = append(args, now, id)
	if _, err := tx.Exec(ctx, `UPDATE messages SET `+strings.Join(sets, ", ")+`, updated_at = ? WHERE id = ?`, args...); err != nil {
		return nil, fmt.Errorf("apply statuses to %s: %w", id, err)
	}
	return rows, nil
}

// insertRows runs prefix + "(?,...),(?,...)" over args, width values a row,
// in chunks of at most 200 rows.
func insertRows(ctx context.Context, tx *store.Tx, prefix string, width int, args []any) error {
	const chunk = 200
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
	for len(args) > 0 {
		n := min(len(args)/width, chunk)
		q := prefix + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
		if _, err := tx.Exec(ctx, q, args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}

// adoptOrphansTx applies the statuses parked for wamid, then forgets them.
func (s *Store) adoptOrphansTx(ctx context.Context, tx *store.Tx, wamid string) error {
	rows, err := tx.Query(ctx, `DELETE FROM orphan_statuses WHERE wamid = ? RETURNING payload`, wamid)
	if err != nil {
		return fmt.Errorf("adopt statuses of %s: %w", wamid, err)
	}
	var parked []whatsapp.Status
	for rows.Next() {
		var b []byte
		var st whatsapp.Status
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return fmt.Errorf("adopt statuses of %s: %w", wamid, err)
		}
		if err := json.Unmarshal(b, &st); err == nil {
			parked = append(parked, st)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("adopt statuses of %s: %w", wamid, err)
	}
	if len(parked) == 0 {
		return nil
	}
	return s.ApplyStatusesTx(ctx, tx, parked)
}
