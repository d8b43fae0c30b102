package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// openTest opens a fresh database in a temporary directory and closes it when
// the test ends.
func openTest(t testing.TB, cfg Config) *DB {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "parley.db")
	}
	db, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// exec runs statements in their own Write.
func exec(t testing.TB, db *DB, stmts ...string) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(context.Background(), s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("exec %q: %v", stmts, err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    Config
		fields []string // the ConfigError fields expected, in order
	}{
		{name: "defaults", cfg: Config{Path: "x.db"}},
		{name: "normal lower case", cfg: Config{Path: "x.db", Synchronous: "normal"}},
		{name: "missing path", cfg: Config{}, fields: []string{"Path"}},
		{name: "memory", cfg: Config{Path: ":memory:"}, fields: []string{"Path"}},
		{
			name:   "every problem at once",
			cfg:    Config{BusyTimeout: -time.Second, Synchronous: "OFF", Readers: -1},
			fields: []string{"Path", "BusyTimeout", "Synchronous", "Readers"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.withDefaults().validate()
			var got []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var ce *ConfigError
					if !errors.As(e, &ce) || !errors.Is(e, ErrInvalidConfig) {
						t.Fatalf("error %v is not a *ConfigError wrapping ErrInvalidConfig", e)
					}
					got = append(got, ce.Field)
				}
			}
			if diff := cmp.Diff(tt.fields, got); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	got := Config{Path: "x.db"}.withDefaults()
	want := Config{Path: "x.db", BusyTimeout: 5 * time.Second, Synchronous: "FULL", Readers: 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), Config{Synchronous: "EXTRA"})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Open: got %v, want ErrInvalidConfig", err)
	}
}

// pragmas are the settings Open promises on every connection.
type pragmas struct {
	JournalMode string
	ForeignKeys int
	Synchronous int
	BusyTimeout int
	QueryOnly   int
}

// readPragmas reads the pragmas through query, which runs one statement and
// scans its single value into dst.
func readPragmas(t *testing.T, query func(stmt string, dst any) error) pragmas {
	t.Helper()
	var p pragmas
	for _, x := range []struct {
		name string
		dst  any
	}{
		{"journal_mode", &p.JournalMode},
		{"foreign_keys", &p.ForeignKeys},
		{"synchronous", &p.Synchronous},
		{"busy_timeout", &p.BusyTimeout},
		{"query_only", &p.QueryOnly},
	} {
		if err := query("PRAGMA "+x.name, x.dst); err != nil {
			t.Fatalf("PRAGMA %s: %v", x.name, err)
		}
	}
	return p
}

// TestOpenPragmas checks the pragmas in effect on the writer and on a reader.
func TestOpenPragmas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		synchronous string
		level       int
	}{
		{"FULL", 2},
		{"NORMAL", 1},
	}
	for _, tt := range tests {
		t.Run(tt.synchronous, func(t *testing.T) {
			t.Parallel()
			// A directory that does not exist yet, with a space in its name.
			path := filepath.Join(t.TempDir(), "new dir", "p.db")
			db := openTest(t, Config{Path: path, Synchronous: tt.synchronous, BusyTimeout: 1500 * time.Millisecond})
			ctx := context.Background()

			var writer pragmas
			err := db.Write(ctx, func(tx *Tx) error {
				writer = readPragmas(t, func(stmt string, dst any) error {
					return tx.QueryRow(ctx, stmt).Scan(dst)
				})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := pragmas{JournalMode: "wal", ForeignKeys: 1, Synchronous: tt.level, BusyTimeout: 1500}
			if diff := cmp.Diff(want, writer); diff != "" {
				t.Errorf("writer pragmas (-want +got):\n%s", diff)
			}

			reader := readPragmas(t, func(stmt string, dst any) error {
				return db.Reader().QueryRowContext(ctx, stmt).Scan(dst)
			})
			want.QueryOnly = 1
			if diff := cmp.Diff(want, reader); diff != "" {
				t.Errorf("reader pragmas (-want +got):\n%s", diff)
			}
			if _, err := db.Reader().ExecContext(ctx, "CREATE TABLE nope (x)"); err == nil {
				t.Error("a reader connection accepted a write")
			}
		})
	}
}
