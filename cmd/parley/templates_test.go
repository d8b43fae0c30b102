package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// TestTemplatesSync pulls the templates of an emulator's WABA into a fresh
// database: each language with its status, a paused one included.
func TestTemplatesSync(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emu, err := emulator.New(emulator.Config{
		AppSecret: "s", AccessToken: "tok",
		Templates: []emulator.TemplateSeed{
			{Name: "order_update", Language: "en_US", Category: "UTILITY", Body: "Order {{1}}"},
			{Name: "order_update", Language: "pt_BR", Category: "UTILITY", Body: "Pedido {{1}}"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = emu.Serve(ctx, ln) }()
	defer emu.Close()
	if err := emu.SetTemplateStatus("order_update", "pt_BR", "PAUSED", ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "parley.yaml")
	cfg := fmt.Sprintf(`mode: production
data_dir: %s
api: {keys: [{name: ops, scopes: [admin], hash: "sha256:e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f"}]}
whatsapp: {base_url: "http://%s", phone_number_id: "%s", waba_id: "%s", access_token: tok, app_secret: s, verify_token: v}
`, dir, ln.Addr(), emulator.DefaultPhoneNumberID, emulator.DefaultWABAID)
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"templates", "sync", "--config", file}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "synced 3 template languages") {
		t.Errorf("stdout = %q", out.String())
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]string{}
	rows, err := db.Query(`SELECT name || '/' || language, status FROM template_statuses`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		_ = rows.Scan(&k, &v)
		got[k] = v
	}
	rows.Close()
	want := map[string]string{"hello_world/en_US": "APPROVED", "order_update/en_US": "APPROVED", "order_update/pt_BR": "PAUSED"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q (all: %v)", k, got[k], v, got)
		}
	}
	// Sandbox mode has nothing to sync from outside a running Parley.
	errOut.Reset()
	if code := run(ctx, []string{"templates", "sync"}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "--url") {
		t.Errorf("sandbox sync: exit %d, %q", code, errOut.String())
	}
}
