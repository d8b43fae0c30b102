package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// ApplyStatusTx applies one status webhook inside tx. It is idempotent and
// order-independent: a duplicate changes nothing, an older status than the
// current one is kept in the history but does not move the message back,
// and a status for a wamid Parley has not recorded yet is parked until
// RecordSubmitted adopts it.
func (s *Store) ApplyStatusTx(ctx context.Context, tx *store.Tx, st whatsapp.Status) error {
	var id, cur string
	var hasPricing bool
	err := tx.QueryRow(ctx, `SELECT id, status, pricing IS NOT NULL FROM messages WHERE wamid = ?`, st.ID).Scan(&id, &cur, &hasPricing)
	if errors.Is(err, sql.ErrNoRows) {
		payload, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("park status for %s: %w", st.ID, err)
		}
		_, err = tx.Exec(ctx, `INSERT OR IGNORE INTO orphan_statuses(wamid, status, payload, recorded_at) VALUES (?,?,?,?)`,
			st.ID, st.Status, payload, s.now().UnixMilli())
		return err
	}
	if err != nil {
		return fmt.Errorf("apply status for %s: %w", st.ID, err)
	}
	return s.applyTx(ctx, tx, id, cur, hasPricing, st)
}

func (s *Store) applyTx(ctx context.Context, tx *store.Tx, id, cur string, hasPricing bool, st whatsapp.Status) error {
	now := s.now().UnixMilli()
	at := now
	if sec, err := whatsapp.UnixString(st.Timestamp); err == nil {
		at = time.Unix(sec, 0).UnixMilli()
	}
	detail, err := json.Marshal(statusDetail{Pricing: st.Pricing, Conversation: st.Conversation, Errors: st.Errors})
	if err != nil {
		return fmt.Errorf("apply status %s to %s: %w", st.Status, id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT OR IGNORE INTO message_statuses(message_id, status, source, at, recorded_at, detail) VALUES (?,?,?,?,?,?)`,
		id, st.Status, "webhook", at, now, string(detail)); err != nil {
		return fmt.Errorf("apply status %s to %s: history: %w", st.Status, id, err)
	}
	if st.Pricing != nil && !hasPricing {
		p, _ := json.Marshal(st.Pricing)
		if _, err := tx.Exec(ctx, `UPDATE messages SET pricing = ? WHERE id = ?`, string(p), id); err != nil {
			return fmt.Errorf("apply pricing to %s: %w", id, err)
		}
	}
	state, known := whatsapp.StateFromStatus(st.Status)
	if !known {
		return nil // kept in the history; not a state Parley tracks
	}
	next, moved := whatsapp.Advance(whatsapp.MessageState(cur), state)
	if !moved {
		return nil
	}
	if next == whatsapp.StateFailed && len(st.Errors) > 0 {
		e := st.Errors[0]
		d := e.Message
		if e.ErrorData != nil && e.ErrorData.Details != "" {
			d = e.ErrorData.Details
		}
		_, err = tx.Exec(ctx, `UPDATE messages SET status = ?, error_code = ?, error_title = ?, error_detail = ?, updated_at = ? WHERE id = ?`,
			string(next), e.Code, e.Title, d, now, id)
	} else {
		_, err = tx.Exec(ctx, `UPDATE messages SET status = ?, updated_at = ? WHERE id = ?`, string(next), now, id)
	}
	if err != nil {
		return fmt.Errorf("apply status %s to %s: %w", st.Status, id, err)
	}
	return nil
}

// adoptOrphansTx applies the statuses parked for wamid, then forgets them.
func (s *Store) adoptOrphansTx(ctx context.Context, tx *store.Tx, wamid string) error {
	rows, err := tx.Query(ctx, `SELECT payload FROM orphan_statuses WHERE wamid = ?`, wamid)
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
	if len(parked) == 0 {
		return nil
	}
	for _, st := range parked {
		if err := s.ApplyStatusTx(ctx, tx, st); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `DELETE FROM orphan_statuses WHERE wamid = ?`, wamid)
	return err
}
