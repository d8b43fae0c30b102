package store

import (
	"errors"
	"fmt"
)

// Sentinel errors of package store. Match them with errors.Is; the typed
// errors below wrap them with the details.
var (
	// ErrClosed is returned by DB.Write after DB.Close has been called.
	ErrClosed = errors.New("store: database is closed")

	// ErrInvalidConfig is wrapped by every ConfigError that Open reports.
	ErrInvalidConfig = errors.New("store: invalid config")

	// ErrNewerSchema means the database was migrated by a newer Parley
	// binary than this one. Running an older binary against it could corrupt
	// data, so Open refuses; upgrade the binary (downgrades are not supported).
	// It is wrapped by a *SchemaVersionError that carries both versions.
	ErrNewerSchema = errors.New("store: database schema is newer than this binary")

	// ErrLocked means another process has the database open: Parley is a
	// single process per database file.
	ErrLocked = errors.New("database is in use by another Parley process")

	// ErrBadMigration means the embedded migration files are malformed: a bad
	// file name, a duplicate or a missing version. It is a bug in the build,
	// not in the database.
	ErrBadMigration = errors.New("store: malformed migration files")
)

// ConfigError reports one invalid Config field. Open reports every invalid
// field at once, joined with errors.Join.
type ConfigError struct {
	Field  string // the Config field, e.g. "Synchronous"
	Value  any    // the rejected value
	Reason string // what is wrong with it
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("store config %s=%v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// SchemaVersionError reports a database whose schema version is newer than
// the newest migration this binary embeds.
type SchemaVersionError struct {
	Path     string // the database file
	Database int    // the version recorded in the database's schema_migrations
	Binary   int    // the newest version this binary knows
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("%s: database %s is at schema version %d, this binary knows up to %d; upgrade Parley",
		ErrNewerSchema, e.Path, e.Database, e.Binary)
}

// Unwrap returns ErrNewerSchema.
func (e *SchemaVersionError) Unwrap() error { return ErrNewerSchema }

// MigrationError reports a migration that failed to apply. Its transaction
// was rolled back, so the database stays at Version-1.
type MigrationError struct {
	Version int
	Name    string
	Err     error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("store: apply migration %04d_%s: %v", e.Version, e.Name, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// PanicError is what DB.Write re-panics with when the function it was given
// panicked inside the writer goroutine. The panic is carried back to the
// caller's goroutine so that the writer survives and the stack trace points at
// the caller.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the writer goroutine at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("store: write function panicked: %v\n%s", e.Value, e.Stack)
}
