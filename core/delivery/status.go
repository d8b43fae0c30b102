package delivery

import (
	"context"
	"encoding/json"
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

// StatusBatch is a webhook's statuses, grouped by message and with their
// history rows encoded, ready for ApplyStatusesTx. Preparing it outside the
// write transaction keeps that work off the single writer.
type StatusBatch struct {
	order   []string // wamids in first-seen order
	byWAMID map[string][]preparedStatus
}

type preparedStatus struct {
	st      whatsapp.Status
	at      int64  // Meta's timestamp in Unix ms; 0 = unknown
	detail  string // statusDetail as JSON
	payload []byte // the status as JSON, for parking
}

// PrepareStatuses groups statuses by wamid and encodes what will be stored.
func PrepareStatuses(statuses []whatsapp.Status) (*StatusBatch, error) {
	b := &StatusBatch{byWAMID: map[string][]preparedStatus{}}
	for _, st := range statuses {
		p := preparedStatus{st: st}
		if sec, err := whatsapp.UnixString(st.Timestamp); err == nil {
			p.at = time.Unix(sec, 0).UnixMilli()
		}
		d, err := json.Marshal(statusDetail{Pricing: st.Pricing, Conversation: st.Conversation, Errors: st.Errors})
		if err != nil {
			return nil, fmt.Errorf("status %s of %s: %w", st.Status, st.ID, err)
		}
		p.detail = string(d)
		if p.payload, err = json.Marshal(st); err != nil {
			return nil, fmt.Errorf("status %s of %s: %w", st.Status, st.ID, err)
		}
		if _, ok := b.byWAMID[st.ID]; !ok {
			b.order = append(b.order, st.ID)
		}
		b.byWAMID[st.ID] = append(b.byWAMID[st.ID], p)
	}
	return b, nil
}

// ApplyStatusesTx applies a prepared batch of status webhooks inside tx. It
// is idempotent and order-independent: a duplicate changes nothing, a
// status older than the current one is kept in the history but does not
// move the message back (whatsapp.Advance decides), and a status for a
// wamid Parley has not recorded yet is parked until RecordSubmitted adopts
// it. Messages are looked up 500 at a time, each message is updated at most
// once, and the history is inserted 200 rows a statement.
func (s *Store) ApplyStatusesTx(ctx context.Context, tx *store.Tx, b *StatusBatch) error {
	now := s.now().UnixMilli()
	type current struct {
		id, status string
		hasPricing bool
	}
	known := make(map[string]current, len(b.order))
	const lookup = 500
	for i := 0; i < len(b.order); i += lookup {
		ids := b.order[i:min(i+lookup, len(b.order))]
		args := make([]any, len(ids))
		for j, w := range ids {
			args[j] = w
		}
		rows, err := tx.Query(ctx, `SELECT wamid, id, status, pricing IS NOT NULL FROM messages WHERE wamid IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
		if err != nil {
			return fmt.Errorf("apply statuses: look up messages: %w", err)
		}
		for rows.Next() {
			var w string
			var c current
			if err := rows.Scan(&w, &c.id, &c.status, &c.hasPricing); err != nil {
				rows.Close()
				return fmt.Errorf("apply statuses: look up messages: %w", err)
			}
			known[w] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("apply statuses: look up messages: %w", err)
		}
	}
	var history, parked []any
	for _, wamid := range b.order {
		c, ok := known[wamid]
		if !ok {
			for _, p := range b.byWAMID[wamid] {
				parked = append(parked, wamid, p.st.Status, p.payload, now)
			}
			continue
		}
		rows, err := s.foldTx(ctx, tx, c.id, c.status, c.hasPricing, b.byWAMID[wamid], now)
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
func (s *Store) foldTx(ctx context.Context, tx *store.Tx, id, cur string, hasPricing bool, sts []preparedStatus, now int64) ([]any, error) {
	var rows []any
	state := whatsapp.MessageState(cur)
	var pricing *whatsapp.Pricing
	var failure *whatsapp.WebhookError
	for _, p := range sts {
		st := p.st
		at := p.at
		if at == 0 {
			at = now
		}
		rows = append(rows, id, st.Status, "webhook", at, now, p.detail)
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
	b, err := PrepareStatuses(parked)
	if err != nil {
		return err
	}
	return s.ApplyStatusesTx(ctx, tx, b)
}
