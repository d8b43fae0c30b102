package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestOpenLocked: a second Open of the same file, as another process
// would, is refused while the first is open, and allowed after Close.
func TestOpenLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locked.db")
	first, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), Config{Path: path}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}
