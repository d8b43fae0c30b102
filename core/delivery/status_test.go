package delivery

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

func openStore(t *testing.T) (*store.DB, *Store) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, NewStore(db)
}

func newMessage(t *testing.T, db *store.DB, s *Store, to string) string {
	t.Helper()
	var id string
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		id, _, err = s.CreateTx(context.Background(), tx, NewMessage{Request: whatsapp.NewText(to, "hi")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func st(wamid, status string, ts int) whatsapp.Status {
	s := whatsapp.Status{ID: wamid, Status: status, Timestamp: strconv.Itoa(ts), RecipientID: "16505551234"}
	if status == "failed" {
		s.Errors = []whatsapp.WebhookError{{Code: 131026, Title: "Message undeliverable"}}
	}
	if status == "sent" {
		s.Pricing = &whatsapp.Pricing{PricingModel: "PMP", Type: "regular", Category: "utility"}
	}
	return s
}

// TestApplyStatuses feeds statuses in batches, in and out of order, with
// duplicates, before and after the wamid is known, and checks the final
// state, the history and the pricing.
func TestApplyStatuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		before      [][]string // batches applied before the wamid is recorded
		after       [][]string // batches applied after
		want        string
		wantHistory int // webhook rows in the history
		wantCode    int
	}{
		{"in order", nil, [][]string{{"sent"}, {"delivered"}, {"read"}}, "read", 3, 0},
		{"one batch", nil, [][]string{{"sent", "delivered", "read"}}, "read", 3, 0},
		{"reordered", nil, [][]string{{"read"}, {"delivered"}, {"sent"}}, "read", 3, 0},
		{"duplicates", nil, [][]string{{"sent", "sent"}, {"delivered"}, {"delivered", "read", "read"}}, "read", 3, 0},
		{"read without delivered", nil, [][]string{{"sent"}, {"read"}}, "read", 2, 0},
		{"played counts as read", nil, [][]string{{"sent"}, {"played"}}, "read", 2, 0},
		{"async failure", nil, [][]string{{"sent"}, {"failed"}}, "failed", 2, 131026},
		{"failed after delivered is kept but does not regress", nil, [][]string{{"sent", "delivered"}, {"failed"}}, "delivered", 3, 0},
		{"before the wamid is known", [][]string{{"sent"}, {"delivered"}}, [][]string{{"read"}}, "read", 3, 0},
		{"all before the wamid is known", [][]string{{"sent", "delivered", "read"}}, nil, "read", 3, 0},
		{"unknown status is history only", nil, [][]string{{"sent"}, {"deleted"}}, "sent", 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, s := openStore(t)
			id := newMessage(t, db, s, "+16505551234")
			wamid := "wamid." + id
			apply := func(batches [][]string) {
				for i, b := range batches {
					var sts []whatsapp.Status
					for j, name := range b {
						sts = append(sts, st(wamid, name, 1750000000+10*i+j))
					}
					b, err := PrepareStatuses(sts)
					if err != nil {
						t.Fatal(err)
					}
					if err := db.Write(ctx, func(tx *store.Tx) error { return s.ApplyStatusesTx(ctx, tx, b) }); err != nil {
						t.Fatal(err)
					}
				}
			}
			apply(tc.before)
			if err := s.RecordSubmitted(ctx, id, wamid, "16505551234"); err != nil {
				t.Fatal(err)
			}
			apply(tc.after)
			m, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != tc.want {
				t.Errorf("status = %q, want %q", m.Status, tc.want)
			}
			webhook := 0
			for _, h := range m.History {
				if h.Source == "webhook" {
					webhook++
				}
			}
			if webhook != tc.wantHistory {
				t.Errorf("history has %d webhook rows, want %d: %+v", webhook, tc.wantHistory, m.History)
			}
			if len(m.Pricing) == 0 {
				t.Errorf("pricing not recorded")
			}
			gotCode := 0
			if m.Error != nil {
				gotCode = m.Error.Code
			}
			if gotCode != tc.wantCode {
				t.Errorf("error code = %d, want %d", gotCode, tc.wantCode)
			}
			var parked int
			if err := db.Reader().QueryRow(`SELECT count(*) FROM orphan_statuses`).Scan(&parked); err != nil || parked != 0 {
				t.Errorf("%d statuses still parked (%v)", parked, err)
			}
		})
	}
}

// TestCreateDedupe: a second message with the same dedupe key is not
// created; distinct keys are.
func TestCreateDedupe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, s := openStore(t)
	var ids []string
	var created []bool
	for _, key := range []string{"k1", "k1", "k2"} {
		err := db.Write(ctx, func(tx *store.Tx) error {
			id, c, err := s.CreateTx(ctx, tx, NewMessage{DedupeKey: key, Request: whatsapp.NewText("+16505551234", "hi")})
			ids, created = append(ids, id), append(created, c)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !created[0] || created[1] || !created[2] || ids[0] != ids[1] || ids[0] == ids[2] {
		t.Fatalf("ids %v created %v; want k1 once (same id twice) and k2 new", ids, created)
	}
	list, _, err := s.List(ctx, Filter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d messages, %v; want 2", len(list), err)
	}
}
