package connector_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/connector"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
)

// bin is a connector plugin binary built for the tests.
type bin struct{ path, sum string }

// bins holds the first-party connector binaries by short name (shopify,
// hubspot, zendesk, webhook), built once by TestMain; empty with -short.
var bins = map[string]bin{}

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "parley-connectors-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		names := []string{"shopify", "hubspot", "zendesk", "webhook"}
		args := []string{"build", "-o", dir + string(filepath.Separator)}
		for _, n := range names {
			args = append(args, "github.com/parley-hub/parley/connectors/"+n+"/cmd/parley-connector-"+n)
		}
		build := exec.Command("go", args...)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build connectors: %v\n%s", err, out)
			return 1
		}
		for _, n := range names {
			p := filepath.Join(dir, "parley-connector-"+n)
			b, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			sum := sha256.Sum256(b)
			bins[n] = bin{p, hex.EncodeToString(sum[:])}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// needBinaries skips a test that runs real plugin processes under -short.
func needBinaries(tb testing.TB) {
	tb.Helper()
	if len(bins) == 0 {
		tb.Skip("starts real plugin processes; skipped with -short")
	}
}

func testLog(tb testing.TB) *slog.Logger {
	if os.Getenv("PARLEY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openStore(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(tb.TempDir(), "parley.db"), Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// openStoreFull opens a database as Parley runs it by default
// (synchronous=FULL), for benchmarks.
func openStoreFull(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(tb.TempDir(), "parley.db")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// webhookSecret signs the generic webhook connector's test deliveries.
const webhookSecret = "whsec_for_tests"

// genericPlugin is the generic webhook connector named name: the event id
// at "id", its type at "kind", the phone at "phone", the delivery id in
// X-Delivery-Id.
func genericPlugin(name string) plugins.Config {
	return plugins.Config{Name: name, Path: bins["webhook"].path, SHA256: bins["webhook"].sum, HealthInterval: time.Hour,
		Config: map[string]string{"secret": webhookSecret, "id_path": "id", "type_path": "kind", "contact_phone_path": "phone",
			"contact_name_path": "name", "delivery_id_header": "X-Delivery-Id", "source": "billing"}}
}

// startConnectors returns started Connectors on db with the given plugins,
// closed when the test ends.
func startConnectors(tb testing.TB, db *store.DB, cfg connector.Config) *connector.Connectors {
	tb.Helper()
	cfg.DB = db
	if cfg.Events == nil {
		cfg.Events = ingest.New(db, "events")
	}
	if cfg.Log == nil {
		cfg.Log = testLog(tb)
	}
	if cfg.ActionsTopic == "" {
		cfg.ActionsTopic = "actions"
	}
	c, err := connector.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}
