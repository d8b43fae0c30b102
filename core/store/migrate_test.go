package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// appliedVersions lists schema_migrations as "0001_name" strings.
func appliedVersions(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(),
		`SELECT printf('%04d_%s', version, name) FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func embeddedVersions(t *testing.T) []string {
	t.Helper()
	migs, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	var want []string
	for _, m := range migs {
		want = append(want, formatVersion(m))
	}
	return want
}

func formatVersion(m migration) string { return fmt.Sprintf("%04d_%s", m.version, m.name) }

func TestMigrationsApply(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})

	want := embeddedVersions(t)
	if len(want) == 0 || want[0] != "0001_pubsub" {
		t.Fatalf("embedded migrations = %q, want 0001_pubsub first", want)
	}
	if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
	for _, table := range []string{"pubsub_messages", "pubsub_subscriptions", "pubsub_leases"} {
		var n int
		err := db.Reader().QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("table %s: count=%d err=%v", table, n, err)
		}
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.db")
	ctx := context.Background()
	for i := range 3 {
		db, err := Open(ctx, Config{Path: path})
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		got := appliedVersions(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(embeddedVersions(t), got); diff != "" {
			t.Errorf("Open #%d: schema_migrations (-want +got):\n%s", i+1, diff)
		}
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.db")
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	known := len(embeddedVersions(t))
	exec(t, db, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 'now')`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = Open(ctx, Config{Path: path})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open: got %v, want ErrNewerSchema", err)
	}
	var sv *SchemaVersionError
	if !errors.As(err, &sv) {
		t.Fatalf("Open: %v is not a *SchemaVersionError", err)
	}
	want := SchemaVersionError{Path: path, Database: 9999, Binary: known}
	if diff := cmp.Diff(want, *sv); diff != "" {
		t.Errorf("SchemaVersionError (-want +got):\n%s", diff)
	}
}

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []string // formatted versions; nil when an error is expected
		wantErr bool
	}{
		{
			name: "sorted by version",
			files: fstest.MapFS{
				"migrations/0002_b.sql": file("SELECT 2"),
				"migrations/0001_a.sql": file("SELECT 1"),
				"migrations/README.md":  file("ignored"),
			},
			want: []string{"0001_a", "0002_b"},
		},
		{name: "none", files: fstest.MapFS{}},
		{name: "gap", files: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0003_c.sql": file("")}, wantErr: true},
		{name: "duplicate", files: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0001_b.sql": file("")}, wantErr: true},
		{name: "starts at 2", files: fstest.MapFS{"migrations/0002_a.sql": file("")}, wantErr: true},
		{name: "bad name", files: fstest.MapFS{"migrations/1_a.sql": file("")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			migs, err := loadMigrations(tt.files)
			if tt.wantErr {
				if !errors.Is(err, ErrBadMigration) {
					t.Fatalf("got %v, want ErrBadMigration", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range migs {
				got = append(got, formatVersion(m))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestMigrationFailureRollsBack checks that a failing migration leaves no
// trace and that fixing it lets the next Open continue from there.
func TestMigrationFailureRollsBack(t *testing.T) {
	t.Parallel()
	cfg := Config{Path: filepath.Join(t.TempDir(), "p.db")}.withDefaults()
	ctx := context.Background()
	good := migration{version: 1, name: "a", sql: "CREATE TABLE a (x); INSERT INTO a VALUES (1);"}
	bad := migration{version: 2, name: "b", sql: "CREATE TABLE b (x); INSERT INTO nope VALUES (1);"}

	_, err := open(ctx, cfg, []migration{good, bad})
	var me *MigrationError
	if !errors.As(err, &me) || me.Version != 2 || me.Name != "b" {
		t.Fatalf("open: got %v, want a *MigrationError for 0002_b", err)
	}

	fixed := migration{version: 2, name: "b", sql: "CREATE TABLE b (x);"}
	db, err := open(ctx, cfg, []migration{good, fixed})
	if err != nil {
		t.Fatalf("open after fix: %v", err)
	}
	defer db.Close()
	if diff := cmp.Diff([]string{"0001_a", "0002_b"}, appliedVersions(t, db)); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
	var n int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM a`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in a = %d (err %v), want 1: migration 1 ran twice or not at all", n, err)
	}
}
