package store

import (
	"context"
	"database/sql"
)

// maxCachedStmts bounds the prepared statements kept on the writer
// connection. Queries beyond it run unprepared, as database/sql would.
const maxCachedStmts = 512

// stmtCache keeps the writer connection's statements prepared, keyed by
// query text, so that the hot statements of every batch skip SQLite's parser
// (most of the CPU of a small write otherwise). Only the writer goroutine
// uses it, so it needs no lock.
//
// A statement cannot be prepared on the single writer connection while a
// batch holds it in a transaction, so a query seen for the first time runs
// unprepared, and is prepared between batches, when the connection is idle.
// Inside a batch the prepared statement is bound to the transaction once per
// query (Tx.StmtContext finds it already prepared on the connection).
type stmtCache struct {
	prepared map[string]*sql.Stmt // on the writer connection
	wanted   map[string]bool      // first seen in this batch; prepare after it
	inTx     map[string]*sql.Stmt // prepared bound to the current batch's tx
}

func newStmtCache() *stmtCache {
	return &stmtCache{
		prepared: map[string]*sql.Stmt{},
		wanted:   map[string]bool{},
		inTx:     map[string]*sql.Stmt{},
	}
}

// stmt returns query bound to tx, or nil if it is not prepared yet.
func (c *stmtCache) stmt(tx *sql.Tx, query string) *sql.Stmt {
	if s, ok := c.inTx[query]; ok {
		return s
	}
	p, ok := c.prepared[query]
	if !ok {
		if len(c.prepared)+len(c.wanted) < maxCachedStmts {
			c.wanted[query] = true
		}
		return nil
	}
	// Background: binding runs nothing, and a statement bound with a
	// cancelled context would keep failing for the rest of the batch.
	s := tx.StmtContext(context.Background(), p)
	c.inTx[query] = s
	return s
}

// endBatch forgets the statements bound to the finished batch's transaction
// (database/sql closes them with it) and prepares the queries first seen in
// it. The writer connection must be idle.
func (c *stmtCache) endBatch(db *sql.DB) {
	clear(c.inTx)
	for query := range c.wanted {
		delete(c.wanted, query)
		// A query that does not prepare (say, a table created later in
		// the batch) is simply tried again when next seen.
		if s, err := db.PrepareContext(context.Background(), query); err == nil {
			c.prepared[query] = s
		}
	}
}

// close closes the prepared statements.
func (c *stmtCache) close() {
	for query, s := range c.prepared {
		_ = s.Close()
		delete(c.prepared, query)
	}
}
