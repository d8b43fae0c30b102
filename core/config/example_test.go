package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite configs/parley.example.yaml from ExampleYAML")

const exampleFile = "../../configs/parley.example.yaml"

func TestExampleYAML(t *testing.T) {
	want := ExampleYAML()
	if *update {
		if err := os.WriteFile(exampleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatalf("%v (run go test ./core/config -run TestExampleYAML -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s is stale; run go test ./core/config -run TestExampleYAML -update\n(-ExampleYAML +file):\n%s", exampleFile, diff)
	}
}

func TestExampleFileLoadsAsDefault(t *testing.T) {
	t.Parallel()
	got, err := Load(LoadOptions{File: exampleFile, Env: []string{}})
	if err != nil {
		t.Fatalf("Load(%s): %v", exampleFile, err)
	}
	if diff := cmp.Diff(Default(), got); diff != "" {
		t.Errorf("example file does not load as Default() (-want +got):\n%s", diff)
	}
}

// TestExampleItemsLoad uncomments the commented example items of empty lists
// (api.keys) and checks they load.
func TestExampleItemsLoad(t *testing.T) {
	t.Parallel()
	var out []byte
	lines := bytes.Split(ExampleYAML(), []byte("\n"))
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if bytes.HasSuffix(bytes.TrimSpace(l), []byte("# Example:")) {
			pad := len(l) - len(bytes.TrimLeft(l, " "))
			for i++; i < len(lines); i++ {
				c := lines[i][pad:]
				if string(c) == "#" { // a blank line inside the item
					out = append(out, '\n')
					continue
				}
				if !bytes.HasPrefix(c, []byte("#   ")) {
					break
				}
				out = append(append(out, bytes.Repeat([]byte(" "), pad)...), c[4:]...)
				out = append(out, '\n')
			}
			continue // the loop's i++ skips "key: []"

		}
		out = append(append(out, l...), '\n')
	}
	if bytes.Equal(out, ExampleYAML()) {
		t.Fatal("found no commented example items")
	}
	cfg, err := Load(LoadOptions{File: writeFile(t, string(out)), Env: []string{}})
	if err != nil {
		t.Fatalf("Load(uncommented example): %v\n%s", err, out)
	}
	if want := []KeyHash{{Name: "ops", Hash: HashAPIKey("change-me"), Scopes: []string{"events:write", "messages:read"}}}; !reflect.DeepEqual(cfg.API.Keys, want) {
		t.Errorf("api.keys = %v, want %v", cfg.API.Keys, want)
	}
}

// TestSchemaDocumented checks rule 14's premise: every key, leaf or section,
// has a description, and every tag parses.
func TestSchemaDocumented(t *testing.T) {
	t.Parallel()
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for _, f := range fieldsOf(typ) {
			p := join(path, f.key)
			if f.desc == "" {
				t.Errorf("%s (%s) has no desc tag", p, typ.Name())
			}
			switch kindOf(f.typ) {
			case kindStruct:
				walk(p, f.typ)
			case kindPtrStruct, kindStructList:
				walk(p, f.typ.Elem())
			}
		}
	}
	walk("", reflect.TypeFor[Config]())
}

// TestSchemaExamplesValid checks that every example tag passes its own field's rules.
func TestSchemaExamplesValid(t *testing.T) {
	t.Parallel()
	for _, typ := range []reflect.Type{
		reflect.TypeFor[Config](), reflect.TypeFor[KeyHash](), reflect.TypeFor[Template](),
		reflect.TypeFor[Flow](), reflect.TypeFor[FlowTemplate](),
		reflect.TypeFor[Connector](), reflect.TypeFor[FlowAction](),
	} {
		v := reflect.New(typ).Elem()
		applyDefaults(v)
		applyExamples(v)
		var val validator
		val.fields("", v)
		for _, fe := range val.list {
			if fe.Err != ErrRequired {
				t.Errorf("%s example: %v", typ.Name(), fe)
			}
		}
	}
}

func TestDumpRoundTrips(t *testing.T) {
	t.Parallel()
	want := Default()
	want.Flows = append(want.Flows, Flow{Name: "text", On: Trigger{Type: "a.b", Source: "on"}, To: "data.phone", Text: "Hi \"{{contact.name}}\"\n"})
	want.API.Keys = []KeyHash{{Name: "ops", Hash: HashAPIKey("k"), Scopes: []string{"dlq:read", "admin"}, NotBefore: "2026-01-01T00:00:00Z", ExpiresAt: "2026-12-31T23:59:59+02:00"}}
	got, err := Load(LoadOptions{File: writeFile(t, string(want.Dump())), Env: []string{}})
	if err != nil {
		t.Fatalf("Load(Dump()): %v\n%s", err, want.Dump())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Dump does not round-trip (-want +got):\n%s", diff)
	}
}

func TestSecretsRedacted(t *testing.T) {
	t.Parallel()
	const token, appSecret, apiKey = "EAAG-token-value", "app-secret-value", "raw-api-key-value"
	secrets := []string{token, appSecret, apiKey}
	file := "mode: production\nwhatsapp:\n  access_token: " + token + "\n  app_secret: " + appSecret +
		"\n  acess_token: " + token + "\n  phone_number_id: x\n"
	env := []string{"PARLEY_API_KEY=" + apiKey, "PARLEY_WHATSAPP__VERIFY_TOKEN=" + token + "x", "PARLEY_WHATSAPP__APP_SECRT=" + appSecret}

	_, err := Load(LoadOptions{File: writeFile(t, file), Env: env})
	if err == nil {
		t.Fatal("Load succeeded; want errors")
	}
	cfg := Default()
	cfg.WhatsApp.AccessToken, cfg.WhatsApp.AppSecret, cfg.APIKeyFromEnv = token, appSecret, apiKey

	shown := map[string]string{
		"error":       fmt.Sprintf("%v %+v %#v", err, err, fieldErrors(t, err)),
		"Dump":        string(cfg.Dump()),
		"fmt of cfg":  fmt.Sprintf("%v %+v %#v", cfg, *cfg, cfg.WhatsApp),
		"show secret": show(Secret(token), true) + show(token, true),
		"JSON of cfg": string(must(json.Marshal(cfg))),
	}
	for where, text := range shown {
		for _, s := range secrets {
			if bytes.Contains([]byte(text), []byte(s)) {
				t.Errorf("%s shows secret %q:\n%s", where, s, text)
			}
		}
	}
	if !bytes.Contains(cfg.Dump(), []byte(`access_token: "`+Redacted+`"`)) {
		t.Errorf("Dump does not show access_token as %s:\n%s", Redacted, cfg.Dump())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAPIKeyHashes(t *testing.T) {
	t.Parallel()
	c := Default()
	c.API.Keys = []KeyHash{{Name: "ops", Hash: HashAPIKey("one")}}
	c.APIKeyFromEnv = "two"
	got := c.APIKeyHashes()
	want := []KeyHash{{Name: "ops", Hash: HashAPIKey("one")}, {Name: EnvAPIKey, Hash: HashAPIKey("two"), Scopes: []string{ScopeAdmin}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("APIKeyHashes (-want +got):\n%s", diff)
	}
	if !got[1].Matches("two") || got[1].Matches("one") {
		t.Errorf("Matches gives wrong answers for %v", got[1])
	}
	if h := HashAPIKey("change-me"); h != "sha256:e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f" {
		t.Errorf("HashAPIKey(change-me) = %s", h)
	}
}

func ExampleLoad() {
	cfg, err := Load(LoadOptions{Env: []string{"PARLEY_LOG__LEVEL=debug", "PARLEY_PIPELINE__RETRY__MAX_RETRIES=3"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Mode, cfg.Log.Level, cfg.Pipeline.Retry.MaxRetries, cfg.StorePath())

	_, err = Load(LoadOptions{Env: []string{"PARLEY_WHATSAPP__ACESS_TOKEN=x", "PARLEY_MODE=prod"}})
	fmt.Println(err)
	// Output:
	// sandbox debug 3 parley-data/parley.db
	// invalid config: 2 problems:
	//   whatsapp.acess_token: unknown key; did you mean "access_token"? (from environment variable PARLEY_WHATSAPP__ACESS_TOKEN)
	//   mode: must be one of sandbox, production; got "prod" (from PARLEY_MODE)
}
