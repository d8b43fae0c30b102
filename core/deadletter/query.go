package deadletter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Filter selects dead letters for Queue.List.
type Filter struct {
	// Topic keeps only letters from this topic; empty keeps all.
	Topic string
	// Replayed keeps only replayed letters (true) or only those not replayed
	// yet (false); nil keeps both.
	Replayed *bool
	// Before is a cursor: only letters with a smaller id (older ones).
	Before int64
	// Limit caps the result; 0 means 50, at most 500.
	Limit int
}

const letterColumns = `id, uuid, topic, handler, reason, payload, metadata, created_at, replayed_at`

// scanLetter reads one row of letterColumns.
func scanLetter(r interface{ Scan(...any) error }) (*Letter, error) {
	var l Letter
	var payload []byte
	var meta string
	var created int64
	var replayed sql.NullInt64
	if err := r.Scan(&l.ID, &l.UUID, &l.Topic, &l.Handler, &l.Reason, &payload, &meta, &created, &replayed); err != nil {
		return nil, err
	}
	l.Payload = string(payload)
	_ = json.Unmarshal([]byte(meta), &l.Metadata) // written by Sink as a JSON object
	l.CreatedAt = time.UnixMilli(created).UTC()
	if replayed.Valid {
		t := time.UnixMilli(replayed.Int64).UTC()
		l.ReplayedAt = &t
	}
	return &l, nil
}

// getLetter returns the letter with id, or an error wrapping ErrNotFound.
func getLetter(row *sql.Row, id int64) (*Letter, error) {
	l, err := scanLetter(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dead letter %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("dead letter %d: %w", id, err)
	}
	return l, nil
}

// Get returns the dead letter with id, or an error wrapping ErrNotFound.
func (q *Queue) Get(ctx context.Context, id int64) (*Letter, error) {
	return getLetter(q.db.Reader().QueryRowContext(ctx, `SELECT `+letterColumns+` FROM dead_letters WHERE id = ?`, id), id)
}

// List returns dead letters newest first, and the cursor (Filter.Before)
// of the next page, 0 when there is none.
func (q *Queue) List(ctx context.Context, f Filter) ([]Letter, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	var where []string
	var args []any
	if f.Topic != "" {
		where, args = append(where, "topic = ?"), append(args, f.Topic)
	}
	if f.Replayed != nil {
		if *f.Replayed {
			where = append(where, "replayed_at IS NOT NULL")
		} else {
			where = append(where, "replayed_at IS NULL")
		}
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	query := `SELECT ` + letterColumns + ` FROM dead_letters`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit+1)
	rows, err := q.db.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	out := []Letter{}
	for rows.Next() {
		l, err := scanLetter(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list dead letters: %w", err)
		}
		out = append(out, *l)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list dead letters: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// Count is how many dead letters a topic has.
type Count struct {
	Topic string
	// Total counts every letter stored; Pending those not replayed.
	Total, Pending int64
}

// Counts returns the number of dead letters per topic, by topic name.
func (q *Queue) Counts(ctx context.Context) ([]Count, error) {
	rows, err := q.db.Reader().QueryContext(ctx, `SELECT topic, count(*), count(*) - count(replayed_at) FROM dead_letters GROUP BY topic ORDER BY topic`)
	if err != nil {
		return nil, fmt.Errorf("count dead letters: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Topic, &c.Total, &c.Pending); err != nil {
			return nil, fmt.Errorf("count dead letters: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count dead letters: %w", err)
	}
	return out, nil
}
