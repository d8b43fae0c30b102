package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/parley-hub/parley/core/api"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// dlqServer is an API with a dead-letter queue holding two dead-lettered
// sends and one letter of a topic that takes no replays.
func dlqServer(t *testing.T) (url string, letters []int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "parley.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	msgs := delivery.NewStore(db)
	q, err := deadletter.NewQueue(deadletter.QueueConfig{DB: db, Replay: map[string]deadletter.ReplayHook{"outbox": msgs.ReplayHook}})
	if err != nil {
		t.Fatal(err)
	}
	sink := deadletter.NewSink(db, map[string]deadletter.Hook{"outbox": msgs.DeadLetterHook})
	for i, topic := range []string{"outbox", "connectors.webhooks", "outbox"} {
		payload := "7"
		if topic == "outbox" {
			if err := db.Write(ctx, func(tx *store.Tx) error {
				payload, _, err = msgs.CreateTx(ctx, tx, delivery.NewMessage{Request: whatsapp.NewText("+16505551234", "hi")})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		m := message.NewMessage("u"+string(rune('0'+i)), []byte(payload))
		m.Metadata.Set(middleware.PoisonedTopicKey, topic)
		m.Metadata.Set(middleware.ReasonForPoisonedKey, "reason\nof "+topic)
		if err := sink.Publish("dead_letters", m); err != nil {
			t.Fatal(err)
		}
		letters = append(letters, int64(i+1))
	}
	key := func(name string, scopes ...api.Scope) api.Key {
		return api.Key{Name: name, Hash: config.HashAPIKey(name), Scopes: scopes}
	}
	srv, err := api.New(api.Config{DeadLetters: q, Keys: []api.Key{key("reader", api.ScopeDLQRead), key("operator", api.ScopeDLQRead, api.ScopeDLQReplay)}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, letters
}

// TestDLQCommand runs parley dlq list, show and replay against a real API.
func TestDLQCommand(t *testing.T) {
	t.Parallel()
	url, _ := dlqServer(t)
	steps := []struct {
		name string
		args []string
		code int
		out  []string // substrings of stdout
		err  string   // substring of stderr
	}{
		{"list", []string{"list", "--url", url, "--key", "reader"}, 0,
			[]string{"ID  TOPIC", "1   outbox", "2   connectors.webhooks", "(not replayable)", "reason of outbox"}, ""},
		{"list a topic", []string{"list", "--topic", "connectors.webhooks", "--url", url, "--key", "reader", "--json"}, 0,
			[]string{`"topic":"connectors.webhooks"`}, ""},
		{"show", []string{"show", "1", "--url", url, "--key", "reader"}, 0, []string{`"id": 1,`, `"payload": "msg_`}, ""},
		{"show missing", []string{"show", "99", "--url", url, "--key", "reader"}, 1, nil, "404 Not Found: no dead letter with id 99"},
		{"replay without scope", []string{"replay", "1", "--url", url, "--key", "reader"}, 1, nil, "lacks scope dlq:replay"},
		{"replay", []string{"replay", "--url", url, "1", "--key", "operator"}, 0, []string{"replayed dead letter 1 on outbox"}, ""},
		{"replay again", []string{"replay", "1", "--url", url, "--key", "operator"}, 1, nil, "409 Conflict: dead letter 1 was replayed at"},
		{"replay all", []string{"replay", "--all", "--url", url, "--key", "operator"}, 0,
			[]string{"skipped dead letter 2: dead letter 2: topic \"connectors.webhooks\" takes no replays", "replayed dead letter 3 on outbox", "1 replayed, 1 skipped, 0 failed"}, ""},
		{"replay all, nothing left", []string{"replay", "--all", "--topic", "outbox", "--url", url, "--key", "operator"}, 0, []string{"0 replayed, 0 skipped, 0 failed"}, ""},
		{"show needs an id", []string{"show", "--url", url}, 2, nil, "usage: parley dlq"},
		{"replay takes one id", []string{"replay", "1", "2", "--url", url}, 2, nil, "usage: parley dlq"},
		{"bad url", []string{"list", "--url", "localhost:8080", "--key", "k"}, 1, nil, "want an http(s) URL"},
	}
	for _, st := range steps { // in order: the replays change the queue
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"dlq"}, st.args...), &out, &errb)
		if code != st.code {
			t.Errorf("%s: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", st.name, code, st.code, &out, &errb)
			continue
		}
		for _, s := range st.out {
			if !strings.Contains(out.String(), s) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, s, &out)
			}
		}
		if !strings.Contains(errb.String(), st.err) {
			t.Errorf("%s: stderr lacks %q:\n%s", st.name, st.err, &errb)
		}
	}
}

// TestDLQCommandKey: the key comes from --key, else PARLEYCTL_API_KEY, else
// the sandbox's sandbox.json; the URL from --url, else PARLEYCTL_URL.
func TestDLQCommandKey(t *testing.T) {
	t.Parallel()
	url, _ := dlqServer(t)
	sandbox := t.TempDir()
	if err := os.WriteFile(filepath.Join(sandbox, "sandbox.json"), []byte(`{"api_key":"reader"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		err  string
	}{
		{"from the environment", map[string]string{envURL: url, envKey: "reader"}, nil, 0, ""},
		{"flag over environment", map[string]string{envURL: url, envKey: "nobody"}, []string{"--key", "reader"}, 0, ""},
		{"wrong key", map[string]string{envURL: url, envKey: "nobody"}, nil, 1, "401 Unauthorized: invalid API key"},
		{"from sandbox.json", map[string]string{envURL: url}, []string{"--data", sandbox}, 0, ""},
		{"none", map[string]string{envURL: url}, []string{"--data", t.TempDir()}, 1, "no API key: pass --key or set PARLEYCTL_API_KEY"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		c := &dlqCmd{env: env{stdout: &out, stderr: &errb}, sub: "list", getenv: func(k string) string { return tc.env[k] }}
		if code := c.Run(context.Background(), append([]string{"--json"}, tc.args...)); code != tc.code || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tc.name, code, &errb, tc.code, tc.err)
		}
		if tc.code == 0 && !json.Valid(out.Bytes()) {
			t.Errorf("%s: --json printed %q", tc.name, &out)
		}
	}
}
