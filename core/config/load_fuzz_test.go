package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzLoad: Load never panics on any file; it fails only with a
// *ValidationError whose every problem says what is wrong (secret values
// shown as [redacted]), or with an error naming the file it could not parse;
// a config it accepts dumps without revealing a secret, and the dump loads
// back to the same config.
func FuzzLoad(f *testing.F) {
	f.Add(ExampleYAML()) // configs/parley.example.yaml
	f.Add([]byte("log:\n  level: debug\nserver:\n  read_timeout: 1m\n"))
	f.Add([]byte("server:\nlog: {}\n"))
	f.Add([]byte("whatsapp:\n  timeout: 3s\n  access_token: from-file\n"))
	f.Add([]byte("templates:\n  - {name: welcome, language: pt_BR, category: marketing, body: \"Olá {{1}}\"}\n" +
		"flows:\n  - name: hi\n    on: {type: contact.created, source: hubspot}\n    template: {name: welcome, params: [contact.first_name]}\n" +
		"  - name: plain\n    on: {type: ticket.solved}\n    text: \"Ticket {{data.id}} solved\"\n"))
	f.Add([]byte(`mode: production
data_dir: /var/lib/parley
server: {addr: "127.0.0.1:0"}
whatsapp:
  base_url: http://127.0.0.1:8089
  phone_number_id: "106540352242922"
  waba_id: "102290129340398"
  access_token: tok-123456
  app_secret: sec-123456
  verify_token: ver-123456
  timeout: 2s
api:
  keys: [{name: ops, hash: "sha256:e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f", scopes: [admin]}]
pipeline:
  retry: {max_retries: 2, initial_interval: 50ms, max_interval: 400ms, multiplier: 2}
guard:
  pacing: {enabled: false}
  quiet_hours: {enabled: false}
connectors:
  - {name: shop, path: bin/connectors/parley-connector-shopify, sha256: "8a0d8a3f5e1b4c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f", config: {client_secret: shpss_0123456789abcdef}}
flows:
  - name: hello
    on: {type: order.shipped, conditions: [{field: data.country, op: in, values: [BR, PT]}]}
    to: contact.phone
    template: {name: hello_world, language: en_US}
`))
	f.Add([]byte("flows: [{name: x, on: {type: t}, to: contact.phone, text: hi, template: {name: hello_world}}]\nwhatsapp: {access_token: [1, 2]}\nbogus: 1\n"))
	f.Add([]byte("{{{"))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, yaml []byte) {
		path := filepath.Join(dir, "parley.yaml")
		if err := os.WriteFile(path, yaml, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(LoadOptions{File: path, Env: []string{}})
		if err != nil {
			checkLoadError(t, err, path)
			return
		}
		dump := cfg.Dump()
		secrets := setSecrets(reflect.ValueOf(cfg).Elem(), "zz-sentinel-zz")
		sentinel := cfg.Dump()
		for _, s := range secrets {
			if len(s) >= 4 && strings.Count(string(dump), s) > strings.Count(string(sentinel), s) {
				t.Fatalf("the dump reveals the secret %q:\n%s", s, dump)
			}
		}

		// The dump is a config file that loads to the same config.
		if err := os.WriteFile(path, dump, 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := Load(LoadOptions{File: path, Env: []string{}})
		if err != nil {
			t.Fatalf("the dump of an accepted config does not load: %v\n%s", err, dump)
		}
		if diff := cmp.Diff(string(dump), string(again.Dump())); diff != "" {
			t.Fatalf("the dump loads to another config (-first +second):\n%s", diff)
		}
	})
}

// checkLoadError checks what Load says about a file it refuses.
func checkLoadError(t *testing.T, err error, path string) {
	t.Helper()
	msg := err.Error()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		if !strings.Contains(msg, path) {
			t.Fatalf("error %q (%T) is neither a *ValidationError nor names the file", msg, err)
		}
		return
	}
	if len(ve.Errors) == 0 {
		t.Fatal("a *ValidationError without problems")
	}
	for _, fe := range ve.Errors {
		if strings.TrimSpace(fe.Msg) == "" {
			t.Fatalf("problem %+v says nothing", fe)
		}
		if isSecretPath(fe.Path) && fe.Value != nil && fmt.Sprint(fe.Value) != Redacted && fmt.Sprint(fe.Value) != "" {
			t.Fatalf("problem at %s shows the secret's value %v", fe.Path, fe.Value)
		}
	}
}

// isSecretPath reports whether a key path names a field of type Secret.
func isSecretPath(path string) bool {
	t := reflect.TypeFor[Config]()
	for _, part := range strings.Split(path, ".") {
		part, _, _ = strings.Cut(part, "[")
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		found := false
		for i := range t.NumField() {
			sf := t.Field(i)
			if name, _, _ := strings.Cut(sf.Tag.Get("koanf"), ","); name == part {
				t, found = sf.Type, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return t == reflect.TypeFor[Secret]()
}

// setSecrets sets every non-empty Secret field reachable from v to s and
// returns their former values.
func setSecrets(v reflect.Value, s string) []string {
	var out []string
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out = append(out, setSecrets(v.Elem(), s)...)
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = append(out, setSecrets(v.Index(i), s)...)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, setSecrets(v.Field(i), s)...)
			}
		}
	case reflect.String:
		if v.Type() == reflect.TypeFor[Secret]() && v.String() != "" && v.CanSet() {
			out = append(out, v.String())
			v.SetString(s)
		}
	}
	return out
}
