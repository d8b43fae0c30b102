package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/store"
)

func TestReplayHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	in := New(db, delivery.NewStore(db), "webhooks.whatsapp", slog.New(slog.DiscardHandler))
	cases := []struct {
		state, wantState string
		wantErr          error
	}{
		{"dead", "pending", nil},
		{"pending", "pending", nil},
		{"processed", "processed", deadletter.ErrNotReplayable},
	}
	for i, tc := range cases {
		id := int64(i + 1)
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO webhook_inbox(id, received_at, body, state, reason) VALUES (?, 0, x'7b7d', ?, 'why')`, id, tc.state)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			return in.ReplayHook(ctx, tx, &deadletter.Letter{Payload: fmt.Sprint(id)})
		})
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s body: ReplayHook error = %v; want %v", tc.state, err, tc.wantErr)
		}
		var state string
		if err := db.Reader().QueryRow(`SELECT state FROM webhook_inbox WHERE id = ?`, id).Scan(&state); err != nil || state != tc.wantState {
			t.Errorf("%s body after replay: state %q, %v; want %q", tc.state, state, err, tc.wantState)
		}
	}
	for _, payload := range []string{"x", "99"} {
		err := db.Write(ctx, func(tx *store.Tx) error {
			return in.ReplayHook(ctx, tx, &deadletter.Letter{Payload: payload})
		})
		if !errors.Is(err, deadletter.ErrNotReplayable) {
			t.Errorf("payload %q: %v; want ErrNotReplayable", payload, err)
		}
	}
}
