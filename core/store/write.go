package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
)

// maxBatch caps how many Write functions share one transaction, bounding how
// long the first caller of a batch waits for the others.
const maxBatch = 256

// Write runs fn in a write transaction and returns once that transaction is
// committed (durable as far as Config.Synchronous promises) or has failed.
//
// Concurrent Write calls are committed together ("group commit"): a single
// writer goroutine takes every queued call, up to 256, runs their functions
// one after another in one SQLite transaction, each inside its own SAVEPOINT,
// and commits once. So:
//
//   - fn returning an error (or panicking) rolls back fn's own changes only;
//     Write returns that error (or re-panics with a *PanicError) and the other
//     functions of the batch still commit.
//   - fn returning nil is not enough: if the COMMIT fails, every function of
//     the batch is rolled back and every Write returns the commit error.
//   - Write never adds latency when the database is idle: a lone call is
//     committed at once.
//
// fn runs on the writer goroutine, sequentially with other writes, so it must
// be short, must not block on other goroutines, must not call Write (that
// deadlocks), and must not use tx after it returns. Cancelling ctx before fn
// runs makes Write return ctx.Err() without running fn; during fn, Tx
// statements fail with ctx.Err() from the next statement on. The functions
// registered with Tx.AfterCommit run in the caller's goroutine after the
// commit, before Write returns.
//
// Write fails with ErrClosed once Close has been called.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	db.inflight.Add(1)
	db.mu.RUnlock()
	defer db.inflight.Done()

	req := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	select {
	case db.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx is cancelled: fn may be
	// committing, and the caller must learn whether it did.
	res := <-req.done
	if res.panic != nil {
		panic(res.panic)
	}
	if res.err != nil {
		return res.err
	}
	for _, f := range res.after {
		f()
	}
	return nil
}

// Tx is the transaction a Write function runs in. Its statements are confined
// to the function's SAVEPOINT. A Tx is valid only until the function returns
// and must not be used from other goroutines.
type Tx struct {
	tx    *sql.Tx
	db    *DB
	after []func()
}

// stmtCtx returns the context to run one statement with. A cancelled ctx is
// passed on, so database/sql fails the statement before it starts. A live ctx
// is stripped of its cancellation: cancelling a running SQLite statement
// interrupts it, which rolls back the whole transaction, and with it the other
// callers of the batch.
func stmtCtx(ctx context.Context) context.Context {
	if ctx.Err() != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// Exec runs a statement that returns no rows. Statements are prepared once
// and cached by query text, so pass values as args rather than building
// queries.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = stmtCtx(ctx)
	if s := tx.db.stmts.stmt(tx.tx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, query, args...)
}

// Query runs a statement that returns rows. Close the rows before fn returns.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = stmtCtx(ctx)
	if s := tx.db.stmts.stmt(tx.tx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, query, args...)
}

// QueryRow runs a statement that returns at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = stmtCtx(ctx)
	if s := tx.db.stmts.stmt(tx.tx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// Raw returns the underlying transaction, shared by the whole batch. Do not
// Commit or Rollback it, and do not run statements with a context that may be
// cancelled (see Exec).
func (tx *Tx) Raw() *sql.Tx { return tx.tx }

// DB returns the database tx belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// AfterCommit registers f to run once the transaction has committed; it does
// not run if the function's changes are rolled back. Write runs the registered
// functions in order, in its caller's goroutine, before returning nil.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

// writeReq is one Write call on its way to the writer goroutine.
type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan writeResult // buffered 1; receives exactly one result
}

type writeResult struct {
	err   error
	panic *PanicError
	after []func()
}

// runWriter is the writer goroutine: it takes whatever Write calls are queued,
// commits them as one batch, and repeats until Close.
func (db *DB) runWriter() {
	defer close(db.stopped)
	defer db.stmts.close()
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-db.reqs:
			batch = append(batch[:0], req)
		case <-db.stop:
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case req := <-db.reqs:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		results := db.commit(batch)
		for i, req := range batch {
			req.done <- results[i]
			batch[i] = nil
		}
		db.stmts.endBatch(db.writer)
	}
}

// commit runs batch in one transaction and returns each request's result.
func (db *DB) commit(batch []*writeReq) []writeResult {
	results := make([]writeResult, len(batch))
	failAll := func(err error) []writeResult {
		for i := range results {
			if results[i].err == nil && results[i].panic == nil {
				results[i] = writeResult{err: err}
			}
		}
		return results
	}

	// Background: a cancelled BeginTx context would roll back the batch.
	tx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		return failAll(fmt.Errorf("store: begin: %w", err))
	}
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		res, err := db.runOne(tx, req)
		if err != nil {
			// The transaction itself is broken; nothing of the batch survives.
			_ = tx.Rollback()
			return failAll(err)
		}
		results[i] = res
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		return failAll(fmt.Errorf("store: commit: %w", err))
	}
	return results
}

// runOne runs req.fn inside a savepoint of tx. It returns req's result, or an
// error if the savepoint itself failed, which dooms the whole batch.
func (db *DB) runOne(tx *sql.Tx, req *writeReq) (writeResult, error) {
	bg := context.Background()
	t := &Tx{tx: tx, db: db}
	if _, err := t.Exec(bg, "SAVEPOINT write"); err != nil {
		return writeResult{}, fmt.Errorf("store: savepoint: %w", err)
	}
	fnErr, panicked := call(req.fn, t)
	if fnErr == nil && panicked == nil {
		if _, err := t.Exec(bg, "RELEASE write"); err != nil {
			return writeResult{}, fmt.Errorf("store: release savepoint: %w", err)
		}
		return writeResult{after: t.after}, nil
	}
	// ROLLBACK TO undoes fn's changes but keeps the savepoint open; RELEASE
	// pops it. If either fails (SQLite may already have rolled back the whole
	// transaction, e.g. on SQLITE_FULL), the batch is lost.
	for _, stmt := range []string{"ROLLBACK TO write", "RELEASE write"} {
		if _, err := t.Exec(bg, stmt); err != nil {
			cause := fnErr
			if panicked != nil {
				cause = panicked
			}
			return writeResult{}, fmt.Errorf("store: roll back savepoint after %v: %w", cause, err)
		}
	}
	return writeResult{err: fnErr, panic: panicked}, nil
}

// call runs fn, turning a panic into a *PanicError.
func call(fn func(*Tx) error, tx *Tx) (err error, p *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			p = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	err = fn(tx)
	if err == nil {
		return nil, nil
	}
	return err, nil
}
