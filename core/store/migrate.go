package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// migrationFiles holds the schema, one file per version:
// migrations/NNNN_name.sql, numbered from 0001 without gaps. Adding the next
// file is all it takes to ship a schema change.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads migrations/*.sql from fsys, sorted by version. The
// versions must run 1, 2, 3… with no gap or duplicate.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMigration, err)
	}
	var migs []migration
	for _, file := range names {
		m := migrationName.FindStringSubmatch(path.Base(file))
		if m == nil {
			return nil, fmt.Errorf("%w: %s: name must look like 0001_snake_case.sql", ErrBadMigration, file)
		}
		version, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadMigration, file, err)
		}
		migs = append(migs, migration{version: version, name: m[2], sql: string(body)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("%w: expected version %04d, found %04d_%s", ErrBadMigration, i+1, m.version, m.name)
		}
	}
	return migs, nil
}

// migrate brings the database up to the last of migs, applying each pending
// migration in its own transaction and recording it in schema_migrations. It
// refuses a database that is already past the last of migs.
func migrate(ctx context.Context, db *sql.DB, dbPath string, migs []migration) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > len(migs) {
		return &SchemaVersionError{Path: dbPath, Database: current, Binary: len(migs)}
	}
	for _, m := range migs[current:] {
		if err := apply(ctx, db, m); err != nil {
			return &MigrationError{Version: m.version, Name: m.name, Err: err}
		}
	}
	return nil
}

// schemaVersion returns the highest applied migration version, 0 for none.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// apply runs m in one transaction. Another process may have applied it since
// we looked; the version is checked again under the write lock.
func apply(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see Config.dsn
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}
