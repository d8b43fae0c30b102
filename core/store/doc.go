// Package store owns Parley's embedded SQLite database: opening it with the
// house pragmas, migrating its schema, and serializing every write through one
// connection.
//
// Start reading at [Open] (db.go), then [DB.Write] (write.go), which batches
// concurrent writers into one transaction ("group commit"): each caller's
// function runs inside its own SAVEPOINT, so a failing caller is rolled back
// alone, and every caller returns only once the shared COMMIT is durable.
// Reads go to a separate pool of read-only connections, [DB.Reader].
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary and
// applied in order by [Open] (migrate.go). A database written by a newer
// binary is refused with [ErrNewerSchema]. To change the schema, add the next
// numbered file; never edit one that has shipped.
package store
