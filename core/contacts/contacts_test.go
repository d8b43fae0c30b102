package contacts

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parley-hub/parley/core/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "c.db"), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func resolve(t *testing.T, db *store.DB, s *Store, p Profile) string {
	t.Helper()
	var id string
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = s.ResolveTx(context.Background(), tx, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestResolveAndMerge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	var merged [][2]string
	s := NewStore(db, Config{MergeHooks: []MergeHook{func(_ context.Context, _ *store.Tx, from, into string) error {
		merged = append(merged, [2]string{from, into})
		return nil
	}}})
	a := resolve(t, db, s, Profile{Phone: "+5511912345678", Name: "Ana", Locale: "pt-br"})
	if again := resolve(t, db, s, Profile{Phone: "+5511912345678"}); again != a {
		t.Fatalf("same phone resolved to %s and %s", a, again)
	}
	b := resolve(t, db, s, Profile{Email: "Ana@Example.com", External: "shopify:7001"})
	if b == a {
		t.Fatal("an unknown email resolved to the phone's contact")
	}
	// One event names both: the newer contact merges into the older.
	c := resolve(t, db, s, Profile{Phone: "+5511912345678", External: "shopify:7001", TimeZone: "America/Sao_Paulo"})
	if c != a || len(merged) != 1 || merged[0] != [2]string{b, a} {
		t.Fatalf("merge: got %s, hooks %v; want %s with %s merged into it", c, merged, a, b)
	}
	got, err := s.Get(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "ana@example.com" || got.Locale != "pt_BR" || got.TimeZone != "America/Sao_Paulo" || len(got.Identities) != 3 {
		t.Fatalf("contact = %+v", got)
	}
	for _, ref := range []string{b, "+5511912345678"} {
		if id, err := s.Ref(ctx, ref); err != nil || id != a {
			t.Errorf("Ref(%s) = %s, %v; want %s", ref, id, err, a)
		}
	}
	if ids, err := Aliases(ctx, db.Reader(), a); err != nil || len(ids) != 2 {
		t.Errorf("Aliases = %v, %v; want the contact and the merged one", ids, err)
	}
	if _, err := s.Ref(ctx, "+14155550000"); err == nil {
		t.Error("unknown phone found")
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	def := LoadLocation("UTC")
	for _, tc := range []struct {
		c    Contact
		want string
	}{
		{Contact{TimeZone: "Europe/Lisbon", Phone: "+5511912345678"}, "Europe/Lisbon"},
		{Contact{Phone: "+5511912345678"}, "America/Sao_Paulo"},
		{Contact{Phone: "+351912345678"}, "UTC"},
		{Contact{TimeZone: "Mars/Olympus"}, "UTC"},
	} {
		if got := tc.c.Location(def).String(); got != tc.want {
			t.Errorf("Location(%+v) = %s; want %s", tc.c, got, tc.want)
		}
	}
	if got := CanonicalLocale("es-mx"); got != "es_MX" {
		t.Errorf("CanonicalLocale(es-mx) = %q", got)
	}
}
