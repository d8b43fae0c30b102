package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const kvSchema = `CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)`

func put(k, v string) func(*Tx) error {
	return func(tx *Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO kv (k, v) VALUES (?, ?)`, k, v)
		return err
	}
}

// keys returns the keys of kv, sorted.
func keys(t testing.TB, db *DB) []string {
	t.Helper()
	rows, err := db.Reader().Query(`SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	return got
}

// holdWriter blocks the writer goroutine until the returned release is
// called, so that the Writes started meanwhile queue up and are committed as
// one batch. It returns once the writer is held.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	held, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Write(context.Background(), func(*Tx) error {
			close(held)
			<-unblock
			return nil
		})
	}()
	<-held
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

// writeBatch queues one Write per fn, in order, while the writer is held, so
// that they run as one batch in that order. It returns their results.
func writeBatch(t *testing.T, db *DB, fns ...func(*Tx) error) []error {
	t.Helper()
	release := holdWriter(t, db)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = db.Write(context.Background(), fn) })
		for len(db.reqs) < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	release()
	wg.Wait()
	return errs
}

func TestWriteConcurrentWritersAllCommit(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	exec(t, db, kvSchema)

	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := db.Write(context.Background(), put(fmt.Sprintf("k%03d", i), "v")); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(keys(t, db)); got != n {
		t.Errorf("committed %d rows, want %d", got, n)
	}
}

// TestWriteBatchIsOneTransaction checks that queued writes share a transaction.
func TestWriteBatchIsOneTransaction(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	var mu sync.Mutex
	txs := map[*sql.Tx]int{}
	record := func(tx *Tx) error {
		mu.Lock()
		defer mu.Unlock()
		txs[tx.Raw()]++
		return nil
	}
	errs := writeBatch(t, db, record, record, record, record)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(txs) != 1 {
		t.Errorf("4 queued writes ran in %d transactions, want 1", len(txs))
	}
}

func TestWriteFailingFunctionIsRolledBackAlone(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	exec(t, db, kvSchema)
	boom := errors.New("boom")
	var afterRan []string
	var mu sync.Mutex
	after := func(name string) func() {
		return func() { mu.Lock(); afterRan = append(afterRan, name); mu.Unlock() }
	}

	errs := writeBatch(t, db,
		put("a", "1"),
		func(tx *Tx) error {
			tx.AfterCommit(after("failing"))
			if err := put("b", "1")(tx); err != nil {
				return err
			}
			return boom
		},
		func(tx *Tx) error {
			tx.AfterCommit(after("c"))
			return put("c", "1")(tx)
		},
		put("a", "2"), // primary key violation: a statement error, not a Go error
	)
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("the healthy writes failed: %v, %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], boom) {
		t.Errorf("failing write returned %v, want boom", errs[1])
	}
	if errs[3] == nil {
		t.Error("duplicate key write succeeded")
	}
	if diff := cmp.Diff([]string{"a", "c"}, keys(t, db)); diff != "" {
		t.Errorf("committed keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c"}, afterRan); diff != "" {
		t.Errorf("AfterCommit callbacks run (-want +got):\n%s", diff)
	}
}

// TestWriteCommitFailureFailsTheBatch makes COMMIT itself fail with a
// deferred foreign key violation: every write of the batch must report it.
func TestWriteCommitFailureFailsTheBatch(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	exec(t, db, kvSchema,
		`CREATE TABLE child (k TEXT REFERENCES kv (k) DEFERRABLE INITIALLY DEFERRED)`)
	ran := false
	errs := writeBatch(t, db,
		func(tx *Tx) error {
			tx.AfterCommit(func() { ran = true })
			return put("a", "1")(tx)
		},
		func(tx *Tx) error {
			_, err := tx.Exec(context.Background(), `INSERT INTO child (k) VALUES ('orphan')`)
			return err
		},
	)
	for i, err := range errs {
		if err == nil {
			t.Errorf("write %d: succeeded although COMMIT failed", i)
		}
	}
	if got := keys(t, db); len(got) != 0 {
		t.Errorf("keys after failed commit = %q, want none", got)
	}
	if ran {
		t.Error("AfterCommit ran although COMMIT failed")
	}
	// The writer recovers.
	if err := db.Write(context.Background(), put("b", "1")); err != nil {
		t.Fatalf("write after failed commit: %v", err)
	}
}

func TestWritePanicIsReturnedToTheCaller(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	exec(t, db, kvSchema)

	func() {
		defer func() {
			var pe *PanicError
			if v := recover(); v == nil {
				t.Error("Write did not re-panic")
			} else if pe, _ = v.(*PanicError); pe == nil || pe.Value != "kaboom" {
				t.Errorf("re-panicked with %v, want a *PanicError of kaboom", v)
			}
		}()
		_ = db.Write(context.Background(), func(tx *Tx) error {
			_ = put("p", "1")(tx)
			panic("kaboom")
		})
	}()
	if err := db.Write(context.Background(), put("q", "1")); err != nil {
		t.Fatalf("write after panic: %v", err)
	}
	if diff := cmp.Diff([]string{"q"}, keys(t, db)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestWriteCancelledContext(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	exec(t, db, kvSchema)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.Write(ctx, func(tx *Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Write with cancelled ctx: err=%v ran=%v, want context.Canceled and not run", err, ran)
	}

	// Cancelled while the function runs: the next statement fails, the
	// function's changes are rolled back, nothing else is affected.
	ctx, cancel = context.WithCancel(context.Background())
	errs := writeBatch(t, db,
		put("a", "1"),
		func(tx *Tx) error {
			if err := put("b", "1")(tx); err != nil {
				return err
			}
			cancel()
			_, err := tx.Exec(ctx, `INSERT INTO kv (k, v) VALUES ('c', '1')`)
			return err
		},
	)
	if errs[0] != nil || !errors.Is(errs[1], context.Canceled) {
		t.Errorf("errs = %v, want [nil, context.Canceled]", errs)
	}
	if diff := cmp.Diff([]string{"a"}, keys(t, db)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), Config{Path: filepath.Join(t.TempDir(), "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Write(context.Background(), put("a", "1")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: got %v, want ErrClosed", err)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.db")
	ctx := context.Background()
	for i, want := range [][]string{{"k0"}, {"k0", "k1"}} {
		db, err := Open(ctx, Config{Path: path, Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			exec(t, db, kvSchema)
		}
		if err := db.Write(ctx, put(fmt.Sprintf("k%d", i), "v")); err != nil {
			t.Fatal(err)
		}
		got := keys(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("open #%d keys (-want +got):\n%s", i+1, diff)
		}
	}
}

// BenchmarkWrite measures single-row inserts, each its own Write call: from
// 64 goroutines (32 per CPU at -cpu 2), which group commit batches, and from
// one goroutine, where every Write is its own commit.
//
//	go test -run '^$' -bench BenchmarkWrite ./core/store/
func BenchmarkWrite(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync+"/serial", func(b *testing.B) {
			db := openTest(b, Config{Synchronous: sync})
			exec(b, db, `CREATE TABLE bench (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`)
			payload := make([]byte, 100)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				err := db.Write(ctx, func(tx *Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO bench (v) VALUES (?)`, payload)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
		b.Run("synchronous="+sync+"/parallel", func(b *testing.B) {
			db := openTest(b, Config{Synchronous: sync})
			exec(b, db, `CREATE TABLE bench (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`)
			payload := make([]byte, 100)
			ctx := context.Background()
			b.SetParallelism(32) // 32 writers per GOMAXPROCS
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					err := db.Write(ctx, func(tx *Tx) error {
						_, err := tx.Exec(ctx, `INSERT INTO bench (v) VALUES (?)`, payload)
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

// TestWriteStatementCache runs the same statements in batch after batch, so
// that they run unprepared first and prepared from the second batch on.
func TestWriteStatementCache(t *testing.T) {
	t.Parallel()
	db := openTest(t, Config{})
	exec(t, db, kvSchema)
	ctx := context.Background()
	const insert = `INSERT INTO kv (k, v) VALUES ('x'||?, 'a'); INSERT INTO kv (k, v) VALUES ('y'||?, 'b')`
	for i := range 3 {
		err := db.Write(ctx, func(tx *Tx) error {
			// The writer goroutine owns the cache; fn runs on it.
			if cached := tx.db.stmts.prepared[insert] != nil; cached != (i > 0) {
				return fmt.Errorf("batch %d: statement cached = %v", i, cached)
			}
			// Two statements in one string, then one with arguments.
			if _, err := tx.Exec(ctx, insert, i, i); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM kv WHERE v = ?`, "b").Scan(&n); err != nil {
				return err
			}
			if n != i+1 {
				return fmt.Errorf("batch %d: count = %d", i, n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"x0", "x1", "x2", "y0", "y1", "y2"}, keys(t, db)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}
