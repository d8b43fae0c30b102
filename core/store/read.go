package store

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts caches statements prepared on the reader pool, by query text.
// database/sql prepares each on a connection the first time it runs there
// and reuses it after, so a hot read is parsed once per connection instead
// of on every call. Only fixed query texts belong here.
type readStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// ReadRow runs a read-only query that returns at most one row on the reader
// pool, with a statement prepared once for the query text. Use it for hot
// queries with a fixed text; build-as-you-go queries go to Reader().
func (db *DB) ReadRow(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, err := db.readStmt(ctx, query)
	if err != nil {
		// QueryRowContext on the pool reports the same error through Scan.
		return db.reader.QueryRowContext(ctx, query, args...)
	}
	return stmt.QueryRowContext(ctx, args...)
}

func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.reads.mu.Lock()
	defer db.reads.mu.Unlock()
	if s, ok := db.reads.m[query]; ok {
		return s, nil
	}
	s, err := db.reader.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if db.reads.m == nil {
		db.reads.m = map[string]*sql.Stmt{}
	}
	db.reads.m[query] = s
	return s, nil
}

// closeReads closes the cached reader statements.
func (db *DB) closeReads() {
	db.reads.mu.Lock()
	defer db.reads.mu.Unlock()
	for _, s := range db.reads.m {
		s.Close()
	}
	db.reads.m = nil
}
