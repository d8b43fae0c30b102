package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is an open Parley database: one writer connection driven by a single
// goroutine (see Write) and a pool of read-only connections (see Reader).
// It is safe for concurrent use. Close it when done.
type DB struct {
	path   string
	lock   *os.File // exclusive lock on path+".lock"; see lockFile
	writer *sql.DB  // exactly one connection; used only by the writer goroutine
	reader *sql.DB  // query_only connections

	stmts   *stmtCache     // the writer's prepared statements; writer goroutine only
	reads   readStmts      // prepared statements of the reader pool
	reqs    chan *writeReq // Write → writer goroutine
	stop    chan struct{}  // closed by Close to stop the writer goroutine
	stopped chan struct{}  // closed by the writer goroutine when it exits

	mu       sync.RWMutex // guards closed and inflight.Add
	closed   bool
	inflight sync.WaitGroup // Write calls that got past the closed check
}

// Open opens (creating if needed) the database at cfg.Path, applies the
// pending migrations and starts the writer goroutine. The caller must Close
// the returned DB. It fails with a *ConfigError (ErrInvalidConfig) for a bad
// cfg, a *SchemaVersionError (ErrNewerSchema) for a database written by a newer
// binary, and a *MigrationError if a migration fails.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	migs, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	return open(ctx, cfg, migs)
}

// open is Open with the migrations given, so tests can supply their own.
func open(ctx context.Context, cfg Config, migs []migration) (_ *DB, err error) {
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", cfg.Path, err)
	}
	lock, err := lockFile(cfg.Path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()

	writer, err := openPool(cfg, false, 1)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			writer.Close()
		}
	}()
	// Connect now, so a bad file fails Open and WAL is on before any reader
	// connects.
	if err := writer.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", cfg.Path, err)
	}
	if err := migrate(ctx, writer, cfg.Path, migs); err != nil {
		return nil, err
	}

	reader, err := openPool(cfg, true, cfg.Readers)
	if err != nil {
		return nil, err
	}

	db := &DB{
		path:    cfg.Path,
		lock:    lock,
		writer:  writer,
		reader:  reader,
		stmts:   newStmtCache(),
		reqs:    make(chan *writeReq, maxBatch),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go db.runWriter()
	return db, nil
}

// openPool opens a pool of at most n connections to cfg.Path; readOnly
// pools set query_only.
func openPool(cfg Config, readOnly bool, n int) (*sql.DB, error) {
	dsn, err := cfg.dsn(readOnly)
	if err != nil {
		return nil, fmt.Errorf("store: resolve %s: %w", cfg.Path, err)
	}
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", cfg.Path, err)
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxLifetime(0)
	pool.SetConnMaxIdleTime(0)
	return pool, nil
}

// Reader returns the pool of read-only connections. Use it for every query
// that does not write: it never waits for the writer (WAL readers see the last
// committed state). Statements that write fail with SQLITE_READONLY. Do not
// close it; DB.Close does.
func (db *DB) Reader() *sql.DB { return db.reader }

// Path returns the database file name as configured.
func (db *DB) Path() string { return db.path }

// Close waits for the Write calls in progress to finish, stops the writer
// goroutine and closes all connections. Write calls made after Close has
// started fail with ErrClosed. Close is idempotent.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()

	db.inflight.Wait()
	close(db.stop)
	<-db.stopped
	db.closeReads()
	if err := errors.Join(db.reader.Close(), db.writer.Close(), db.lock.Close()); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}
