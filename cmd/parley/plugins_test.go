package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildWebhookConnector builds the generic webhook connector into a
// directory removed when the test ends (the build cache makes it quick).
func buildWebhookConnector(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and starts a connector plugin")
	}
	bin := filepath.Join(t.TempDir(), "parley-connector-webhook")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/parley-hub/parley/connectors/webhook/cmd/parley-connector-webhook").CombinedOutput()
	if err != nil {
		t.Fatalf("build the webhook connector: %v\n%s", err, out)
	}
	return bin
}

func TestPluginsListAndInspect(t *testing.T) {
	t.Parallel()
	bin := buildWebhookConnector(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "parley.yaml")
	cfg := fmt.Sprintf(`data_dir: %s
connectors:
  - name: billing
    path: %s
    config: {secret: whsec_do_not_show, id_path: id, source: billing}
  - name: off
    path: /nowhere
    enabled: false
flows:
  - name: hello
    on: {type: invoice.paid}
    template: {name: hello_world}
  - name: bad_action
    on: {type: invoice.paid}
    action: {name: billing.refund}
`, filepath.Join(dir, "data"), bin)
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	call := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, stderr := call("plugins", "list", "--config", file)
	if code != 1 { // the flow names an action the connector lacks
		t.Errorf("plugins list: exit %d; want 1 for the bad action\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"NAME", "billing", "0.1.0", "running", "webhooks", bin,
		`flows[1].action.name: connector "billing" has no action "refund" (it has no actions)`} {
		if !strings.Contains(out, want) {
			t.Errorf("plugins list output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "off") {
		t.Errorf("plugins list shows the disabled connector:\n%s", out)
	}

	code, out, stderr = call("plugins", "inspect", "billing", "--config", file, "--json")
	var got struct {
		Connector struct {
			Name   string
			State  string
			Health string
			Config map[string]string
			Spec   struct{ Config []struct{ Name string } }
		} `json:"connector"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("plugins inspect --json: exit %d: %v\n%s%s", code, err, out, stderr)
	}
	c := got.Connector
	if c.Name != "billing" || c.State != "running" || c.Health != "ok" || c.Config["secret"] != "[redacted]" || c.Config["id_path"] != "id" || len(c.Spec.Config) == 0 {
		t.Errorf("inspect = %+v", c)
	}
	if strings.Contains(out+stderr, "whsec_do_not_show") {
		t.Error("plugins inspect shows the secret")
	}
	code, out, _ = call("plugins", "inspect", "billing", "--config", file)
	for _, want := range []string{"billing 0.1.0", "secret = [redacted]  [required, secret]", "POST /connectors/billing/webhook"} {
		if !strings.Contains(out, want) {
			t.Errorf("plugins inspect output lacks %q:\n%s", want, out)
		}
	}

	if code, _, stderr := call("plugins", "inspect", "off", "--config", file); code != 1 || !strings.Contains(stderr, `no enabled connector named "off"`) {
		t.Errorf("inspect of a disabled connector: exit %d, %s", code, stderr)
	}
	if code, _, _ := call("plugins"); code != 2 {
		t.Errorf("plugins without a subcommand: exit %d; want 2", code)
	}
}

func TestConfigValidateConnectors(t *testing.T) {
	t.Parallel()
	bin := buildWebhookConnector(t)
	dir := t.TempDir()
	n := 0
	write := func(body string) string {
		n++
		f := filepath.Join(dir, fmt.Sprintf("parley%d.yaml", n))
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name, cfg string
		code      int
		want      string
	}{
		{"ok", "connectors: [{name: billing, path: " + bin + "}]\n", 0, "ok"},
		{"checksum mismatch", "connectors: [{name: billing, path: " + bin + ", sha256: " + strings.Repeat("ab", 32) + "}]\n", 1,
			"connectors[0].sha256: " + bin + " has SHA-256"},
		{"missing binary", "connectors: [{name: billing, path: /no/such/connector}]\n", 1, "connectors[0].path: stat /no/such/connector"},
		{"unknown connector in a flow", "connectors: [{name: billing, path: " + bin + "}]\nflows: [{name: f, on: {type: t}, action: {name: zendesk.create_ticket}}]\n", 1,
			`flows[0].action.name: unknown connector "zendesk" (configured: billing)`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"config", "validate", "--config", write(tt.cfg)}, &out, &errb)
		if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.want) {
			t.Errorf("%s: exit %d, %s%s; want %d and %q", tt.name, code, out.String(), errb.String(), tt.code, tt.want)
		}
	}
}
