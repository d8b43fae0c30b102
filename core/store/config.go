package store

import (
	"errors"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config configures Open. The zero value of every field except Path selects
// its default.
type Config struct {
	// Path is the database file. Its parent directory is created if it is
	// missing. Required; ":memory:" is not supported, because the writer and
	// the readers are separate connections that must see the same database.
	Path string

	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing with SQLITE_BUSY. Within one process the single
	// writer never contends with itself. Default 5s.
	BusyTimeout time.Duration

	// Synchronous is SQLite's durability level, "FULL" or "NORMAL"
	// (case-insensitive). FULL, the default, syncs the WAL on every commit:
	// a Write that returned survives power loss. NORMAL syncs only at
	// checkpoints: faster, never corrupts, but may lose the latest commits on
	// power loss (not on a process crash).
	Synchronous string

	// Readers is the number of read-only connections in the pool that
	// DB.Reader returns. Default 4.
	Readers int
}

// The defaults of Config, applied by Config.withDefaults.
const (
	DefaultBusyTimeout = 5 * time.Second
	DefaultSynchronous = "FULL"
	DefaultReaders     = 4
)

// withDefaults returns c with every zero field set to its default. It is the
// one place defaults are applied.
func (c Config) withDefaults() Config {
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.Synchronous == "" {
		c.Synchronous = DefaultSynchronous
	}
	c.Synchronous = strings.ToUpper(c.Synchronous)
	if c.Readers == 0 {
		c.Readers = DefaultReaders
	}
	return c
}

// validate reports every invalid field of c (after withDefaults) at once.
func (c Config) validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, &ConfigError{Field: "Path", Value: `""`, Reason: "required"})
	} else if c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:") {
		errs = append(errs, &ConfigError{Field: "Path", Value: c.Path, Reason: "must be a file path"})
	}
	if c.BusyTimeout < 0 {
		errs = append(errs, &ConfigError{Field: "BusyTimeout", Value: c.BusyTimeout, Reason: "must not be negative"})
	}
	if c.Synchronous != "FULL" && c.Synchronous != "NORMAL" {
		errs = append(errs, &ConfigError{Field: "Synchronous", Value: c.Synchronous, Reason: `must be "FULL" or "NORMAL"`})
	}
	if c.Readers < 1 {
		errs = append(errs, &ConfigError{Field: "Readers", Value: c.Readers, Reason: "must be at least 1"})
	}
	return errors.Join(errs...)
}

// dsn returns the modernc.org/sqlite data source name for c.Path.
//
// The pragmas must run in the house order: busy_timeout first (so that the
// others wait for locks instead of failing), then journal_mode=WAL,
// foreign_keys, synchronous, and query_only last for readers. The driver
// applies DSN keys in a fixed order of its own (busy_timeout, then the _pragma
// list, then the shorthand keys foreign_keys, journal_mode, synchronous, then
// query_only; see modernc.org/sqlite's Driver doc), so WAL is given as a
// _pragma to run before the _foreign_keys and _synchronous shorthands.
// TestOpenPragmas checks the result.
//
// _txlock=immediate makes BEGIN take the write lock at once, so a second
// process waits in busy_timeout at BEGIN rather than failing on upgrade.
func (c Config) dsn(readOnly bool) (string, error) {
	abs, err := filepath.Abs(c.Path)
	if err != nil {
		return "", err
	}
	q := []string{
		"_busy_timeout=" + strconv.FormatInt(c.BusyTimeout.Milliseconds(), 10),
		"_pragma=journal_mode(WAL)",
		"_foreign_keys=1",
		"_synchronous=" + c.Synchronous,
		"_txlock=immediate",
	}
	if readOnly {
		q = append(q, "_query_only=1")
	}
	// A file: URI escapes whatever the path holds ('?', '#', '%').
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), OmitHost: true}
	return u.String() + "?" + strings.Join(q, "&"), nil
}
