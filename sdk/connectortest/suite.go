package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parley-hub/parley/sdk"
)

// test is one named assertion of the suite.
type test struct {
	name string
	fn   func(*testing.T, Features, Constructor)
}

// tests lists the suite in the order it runs.
var tests = []test{
	{"Spec", TestSpec},
	{"Configure", TestConfigure},
	{"NotConfigured", TestNotConfigured},
	{"WebhookValid", TestWebhookValid},
	{"WebhookDuplicate", TestWebhookDuplicate},
	{"WebhookConcurrent", TestWebhookConcurrent},
	{"WebhookForged", TestWebhookForged},
	{"WebhookMalformed", TestWebhookMalformed},
	{"WebhookAPIFailure", TestWebhookAPIFailure},
	{"Poll", TestPoll},
	{"Actions", TestActions},
	{"Health", TestHealth},
	{"Unsupported", TestUnsupported},
}

// Run runs the whole suite, calling the connectors newConnector makes
// directly (in-process). Run RunGRPC as well.
func Run(t *testing.T, f Features, newConnector Constructor) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f, newConnector) })
	}
}

// RunGRPC runs the whole suite again through the real gRPC boundary: each
// connector is served by the SDK's go-plugin server and called through the
// hub's client, in-process (see OverGRPC).
func RunGRPC(t *testing.T, f Features, newConnector Constructor) {
	t.Helper()
	Run(t, f, OverGRPC(newConnector))
}

func (f Features) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), f.timeout())
	t.Cleanup(cancel)
	return ctx
}

// configured returns a subject configured with f.Config.
func configured(t *testing.T, f Features, newConnector Constructor) subject {
	t.Helper()
	s := newSubject(t, newConnector)
	if err := s.configure(f.ctx(t), f.Config); err != nil {
		t.Fatalf("Configure with Features.Config: %v", err)
	}
	return s
}

// TestSpec checks the Spec: a valid name and semver-like version, every
// field and action documented, secret-looking fields marked Secret, the same
// value on every call, and capabilities matching the Features flags.
func TestSpec(t *testing.T, f Features, newConnector Constructor) {
	s := newSubject(t, newConnector)
	spec := s.spec()
	if err := spec.Validate(); err != nil {
		t.Errorf("the Spec is invalid:\n%v", err)
	}
	if !s.remote() {
		if again := s.spec(); !reflect.DeepEqual(spec, again) {
			t.Errorf("Spec changed between calls:\nfirst:  %+v\nsecond: %+v", spec, again)
		}
	}
	caps := s.caps()
	for _, c := range []struct {
		name      string
		has, want bool
	}{
		{"sdk.WebhookHandler (Features.Webhooks)", caps.Webhooks, f.Webhooks},
		{"sdk.Poller (Features.Polling)", caps.Polling, f.Polling},
		{"sdk.Actor (Features.Actions)", caps.Actions, f.Actions},
	} {
		if c.has != c.want {
			t.Errorf("implements %s = %v, but Features says %v", c.name, c.has, c.want)
		}
	}
	if f.Health && !caps.Health {
		t.Errorf("Features.Health is set but the connector does not implement sdk.HealthChecker")
	}
	if len(spec.Actions) > 0 && !caps.Actions {
		t.Errorf("the Spec declares %d actions but the connector does not implement sdk.Actor", len(spec.Actions))
	}
	if caps.Actions && len(spec.Actions) == 0 {
		t.Errorf("the connector implements sdk.Actor but its Spec declares no actions")
	}
}

// TestConfigure checks that Features.Config is accepted, and that a config
// missing any required field (without a default), or carrying an unknown
// key, is refused with a *sdk.ConfigError naming that field, whose message
// reveals no secret value.
func TestConfigure(t *testing.T, f Features, newConnector Constructor) {
	spec := newSubject(t, newConnector).spec()
	t.Run("valid", func(t *testing.T) {
		configured(t, f, newConnector)
	})
	var secrets []string
	for _, fd := range spec.Config {
		if v := f.Config[fd.Name]; fd.Secret && len(v) >= 4 {
			secrets = append(secrets, v)
		}
	}
	refused := func(t *testing.T, cfg sdk.Config, field string) {
		t.Helper()
		err := newSubject(t, newConnector).configure(f.ctx(t), cfg)
		if err == nil {
			t.Fatalf("Configure accepted a config with a problem in field %q", field)
		}
		if !errors.Is(err, sdk.ErrBadRequest) {
			t.Errorf("the error does not wrap sdk.ErrBadRequest: %v", err)
		}
		if !slices.ContainsFunc(configErrors(err), func(ce *sdk.ConfigError) bool { return ce.Field == field }) {
			t.Errorf("the error does not name field %q with a *sdk.ConfigError: %v", field, err)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("the error reveals a secret value: %v", err)
			}
		}
	}
	for _, fd := range spec.Config {
		if !fd.Required || fd.Default != "" {
			continue
		}
		t.Run("missing "+fd.Name, func(t *testing.T) {
			cfg := maps.Clone(f.Config)
			delete(cfg, fd.Name)
			refused(t, cfg, fd.Name)
		})
	}
	t.Run("unknown key", func(t *testing.T) {
		cfg := maps.Clone(f.Config)
		if cfg == nil {
			cfg = sdk.Config{}
		}
		cfg["connectortest_no_such_field"] = "x"
		refused(t, cfg, "connectortest_no_such_field")
	})
}

func configErrors(err error) []*sdk.ConfigError {
	var out []*sdk.ConfigError
	var walk func(error)
	walk = func(e error) {
		if ce, ok := e.(*sdk.ConfigError); ok {
			out = append(out, ce)
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// TestNotConfigured checks, over gRPC, that a call before Configure fails
// with sdk.ErrNotConfigured instead of reaching the connector. (In-process
// the contract is the caller's, so it is skipped.)
func TestNotConfigured(t *testing.T, f Features, newConnector Constructor) {
	s := newSubject(t, newConnector)
	if !s.remote() {
		t.Skip("the SDK's server enforces Configure-first; run over gRPC")
	}
	ctx := f.ctx(t)
	if err := s.health(ctx); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("Health before Configure: got %v, want sdk.ErrNotConfigured", err)
	}
	if f.Webhooks && f.ValidWebhook != nil {
		if _, err := s.webhook(ctx, f.ValidWebhook()); !errors.Is(err, sdk.ErrNotConfigured) {
			t.Errorf("HandleWebhook before Configure: got %v, want sdk.ErrNotConfigured", err)
		}
	}
}

func needWebhooks(t *testing.T, f Features) {
	t.Helper()
	if !f.Webhooks {
		t.Skip("Features.Webhooks is false")
	}
	var missing []string
	for name, fn := range map[string]func() sdk.WebhookRequest{
		"ValidWebhook": f.ValidWebhook, "ForgedWebhook": f.ForgedWebhook, "MalformedWebhook": f.MalformedWebhook,
	} {
		if fn == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Fatalf("Features.Webhooks is set but Features lacks %s", strings.Join(missing, ", "))
	}
}

// TestWebhookValid checks that a valid delivery yields at least one valid
// event (see checkEvent) and a 2xx status (or 0).
func TestWebhookValid(t *testing.T, f Features, newConnector Constructor) {
	needWebhooks(t, f)
	s := configured(t, f, newConnector)
	res, err := s.webhook(f.ctx(t), f.ValidWebhook())
	if err != nil {
		t.Fatalf("HandleWebhook(ValidWebhook): %v", err)
	}
	if len(res.Events) == 0 {
		t.Fatalf("HandleWebhook(ValidWebhook) returned no events (skipped: %+v)", res.Skipped)
	}
	for i, ev := range res.Events {
		checkEvent(t, fmt.Sprintf("event %d", i), ev)
	}
	if res.Status != 0 && (res.Status < 200 || res.Status > 299) {
		t.Errorf("Status = %d for a valid delivery; want 0 or 2xx", res.Status)
	}
	for i, sk := range res.Skipped {
		if strings.TrimSpace(sk.Reason) == "" {
			t.Errorf("skipped item %d (%q) has no reason", i, sk.ID)
		}
	}
}

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// checkEvent asserts what the hub requires of an event: type, source and id
// set, data that encodes as JSON, and a phone that is E.164 (spaces,
// hyphens, dots and parentheses allowed) or absent.
func checkEvent(t *testing.T, what string, ev sdk.Event) {
	t.Helper()
	for _, f := range []struct{ name, v string }{{"Type", ev.Type}, {"Source", ev.Source}, {"ID", ev.ID}} {
		if strings.TrimSpace(f.v) == "" {
			t.Errorf("%s: %s is empty", what, f.name)
		}
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Errorf("%s (%s %s) does not encode as JSON: %v", what, ev.Type, ev.ID, err)
	}
	if p := ev.Contact.Phone; p != "" {
		if !phonePattern.MatchString(strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "").Replace(p)) {
			t.Errorf("%s (%s %s): contact phone %q is not E.164; skip the item with a reason instead of guessing", what, ev.Type, ev.ID, p)
		}
	}
}

func eventIDs(evs []sdk.Event) []string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.Source + "/" + e.Type + "/" + e.ID
	}
	return ids
}

// TestWebhookDuplicate checks that the same delivery, handled twice (by the
// same connector and by a fresh one), yields the same event ids and the
// same DedupeKey, so the hub's dedupe works.
func TestWebhookDuplicate(t *testing.T, f Features, newConnector Constructor) {
	needWebhooks(t, f)
	s := configured(t, f, newConnector)
	first, err := s.webhook(f.ctx(t), f.ValidWebhook())
	if err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	second, err := s.webhook(f.ctx(t), f.ValidWebhook())
	if err != nil {
		t.Fatalf("second delivery of the same webhook: %v", err)
	}
	other, err := configured(t, f, newConnector).webhook(f.ctx(t), f.ValidWebhook())
	if err != nil {
		t.Fatalf("the same delivery to a fresh connector: %v", err)
	}
	for name, r := range map[string]sdk.WebhookResult{"again": second, "fresh connector": other} {
		if a, b := eventIDs(first.Events), eventIDs(r.Events); !slices.Equal(a, b) {
			t.Errorf("event ids differ (%s):\nfirst: %v\nthen:  %v", name, a, b)
		}
		if first.DedupeKey != r.DedupeKey {
			t.Errorf("DedupeKey differs (%s): %q then %q", name, first.DedupeKey, r.DedupeKey)
		}
	}
}

// TestWebhookConcurrent handles the valid delivery from several goroutines
// at once (run it with -race) and expects identical results.
func TestWebhookConcurrent(t *testing.T, f Features, newConnector Constructor) {
	needWebhooks(t, f)
	s := configured(t, f, newConnector)
	const n = 8
	var wg sync.WaitGroup
	ids := make([][]string, n)
	errs := make([]error, n)
	ctx := f.ctx(t)
	for i := range n {
		wg.Go(func() {
			res, err := s.webhook(ctx, f.ValidWebhook())
			ids[i], errs[i] = eventIDs(res.Events), err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("call %d: %v", i, errs[i])
		} else if !slices.Equal(ids[i], ids[0]) {
			t.Errorf("call %d returned %v, call 0 returned %v", i, ids[i], ids[0])
		}
	}
}

// TestWebhookForged checks that forged deliveries (ForgedWebhook and
// MoreForged) fail with sdk.ErrUnauthorized and yield no events.
func TestWebhookForged(t *testing.T, f Features, newConnector Constructor) {
	needWebhooks(t, f)
	s := configured(t, f, newConnector)
	cases := map[string]func() sdk.WebhookRequest{"ForgedWebhook": f.ForgedWebhook}
	maps.Copy(cases, f.MoreForged)
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		t.Run(name, func(t *testing.T) {
			res, err := s.webhook(f.ctx(t), cases[name]())
			if !errors.Is(err, sdk.ErrUnauthorized) {
				t.Errorf("got error %v; want one wrapping sdk.ErrUnauthorized", err)
			}
			if len(res.Events) > 0 {
				t.Errorf("a forged delivery yielded %d events", len(res.Events))
			}
		})
	}
}

// TestWebhookMalformed checks that correctly signed but unparseable
// deliveries (MalformedWebhook and MoreMalformed) fail with
// sdk.ErrBadRequest and yield no events.
func TestWebhookMalformed(t *testing.T, f Features, newConnector Constructor) {
	needWebhooks(t, f)
	s := configured(t, f, newConnector)
	cases := map[string]func() sdk.WebhookRequest{"MalformedWebhook": f.MalformedWebhook}
	maps.Copy(cases, f.MoreMalformed)
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		t.Run(name, func(t *testing.T) {
			res, err := s.webhook(f.ctx(t), cases[name]())
			if !errors.Is(err, sdk.ErrBadRequest) {
				t.Errorf("got error %v; want one wrapping sdk.ErrBadRequest", err)
			}
			if errors.Is(err, sdk.ErrUnauthorized) {
				t.Errorf("a correctly signed delivery was refused as unauthorized: %v", err)
			}
			if len(res.Events) > 0 {
				t.Errorf("a malformed delivery yielded %d events", len(res.Events))
			}
		})
	}
}

// TestWebhookAPIFailure handles ValidWebhook under each of
// Features.WebhookAPIFailures and checks the error as CheckAPIFailure does,
// that no event comes with it, and that it shows no secret config value.
func TestWebhookAPIFailure(t *testing.T, f Features, newConnector Constructor) {
	needWebhooks(t, f)
	if len(f.WebhookAPIFailures) == 0 {
		t.Skip("Features.WebhookAPIFailures is empty")
	}
	for _, c := range f.WebhookAPIFailures {
		t.Run(c.Name, func(t *testing.T) {
			cfg := c.Config(t)
			s := newSubject(t, newConnector)
			if err := s.configure(f.ctx(t), cfg); err != nil {
				t.Fatalf("Configure with the case's Config: %v", err)
			}
			res, err := s.webhook(f.ctx(t), f.ValidWebhook())
			CheckAPIFailure(t, err, c.Retryable, c.RetryAfter)
			if len(res.Events) > 0 {
				t.Errorf("a failed delivery yielded %d events", len(res.Events))
			}
			for _, field := range s.spec().Config {
				if v := cfg[field.Name]; field.Secret && strings.TrimSpace(v) != "" && strings.Contains(err.Error(), v) {
					t.Errorf("the error shows the secret config field %q: %v", field.Name, err)
				}
			}
		})
	}
}

// TestPoll polls from Features.PollCursor and checks the events, and that a
// page with events moves the cursor.
func TestPoll(t *testing.T, f Features, newConnector Constructor) {
	if !f.Polling {
		t.Skip("Features.Polling is false")
	}
	s := configured(t, f, newConnector)
	res, err := s.poll(f.ctx(t), f.PollCursor)
	if err != nil {
		t.Fatalf("Poll(%q): %v", f.PollCursor, err)
	}
	for i, ev := range res.Events {
		checkEvent(t, fmt.Sprintf("event %d", i), ev)
	}
	if len(res.Events) > 0 && res.Cursor == f.PollCursor {
		t.Errorf("Poll returned %d events but did not move the cursor from %q", len(res.Events), f.PollCursor)
	}
	if res.Wait < 0 {
		t.Errorf("Poll returned a negative Wait %s", res.Wait)
	}
}

// TestActions checks that every action declared in the Spec has a case in
// Features.ActionCases, runs each case, and checks that an undeclared action
// and a missing required input fail with sdk.ErrBadRequest.
func TestActions(t *testing.T, f Features, newConnector Constructor) {
	if !f.Actions {
		t.Skip("Features.Actions is false")
	}
	s := configured(t, f, newConnector)
	spec := s.spec()
	for _, a := range spec.Actions {
		if !slices.ContainsFunc(f.ActionCases, func(c ActionCase) bool { return c.Request.Action == a.Name }) {
			t.Errorf("action %q is declared in the Spec but has no ActionCase", a.Name)
		}
	}
	for i, c := range f.ActionCases {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("%s#%d", c.Request.Action, i)
		}
		t.Run(name, func(t *testing.T) {
			res, err := s.do(f.ctx(t), c.Request)
			switch {
			case c.WantErr != nil && !errors.Is(err, c.WantErr):
				t.Fatalf("got error %v; want one wrapping %v", err, c.WantErr)
			case c.WantErr == nil && err != nil:
				t.Fatalf("Do(%q): %v", c.Request.Action, err)
			}
			if err == nil {
				if _, err := json.Marshal(res.Output); err != nil {
					t.Errorf("Output does not encode as JSON: %v", err)
				}
				if c.Check != nil {
					c.Check(t, res)
				}
			}
		})
	}
	t.Run("undeclared action", func(t *testing.T) {
		_, err := s.do(f.ctx(t), sdk.ActionRequest{Action: "connectortest_no_such_action", IdempotencyKey: "k"})
		if !errors.Is(err, sdk.ErrBadRequest) {
			t.Errorf("got %v; want sdk.ErrBadRequest", err)
		}
	})
	for _, a := range spec.Actions {
		for _, in := range a.Input {
			if !in.Required {
				continue
			}
			i := slices.IndexFunc(f.ActionCases, func(c ActionCase) bool { return c.Request.Action == a.Name && c.WantErr == nil })
			if i < 0 {
				continue
			}
			t.Run(fmt.Sprintf("%s without %s", a.Name, in.Name), func(t *testing.T) {
				req := f.ActionCases[i].Request
				req.Input = maps.Clone(req.Input)
				delete(req.Input, in.Name)
				if _, err := s.do(f.ctx(t), req); !errors.Is(err, sdk.ErrBadRequest) {
					t.Errorf("got %v; want sdk.ErrBadRequest", err)
				}
			})
		}
	}
}

// TestHealth checks that a configured connector with Features.Health is
// healthy.
func TestHealth(t *testing.T, f Features, newConnector Constructor) {
	if !f.Health {
		t.Skip("Features.Health is false")
	}
	if err := configured(t, f, newConnector).health(f.ctx(t)); err != nil {
		t.Errorf("Health: %v", err)
	}
}

// TestUnsupported checks that a capability the connector lacks fails with
// sdk.ErrNotSupported.
func TestUnsupported(t *testing.T, f Features, newConnector Constructor) {
	s := configured(t, f, newConnector)
	ctx := f.ctx(t)
	if !f.Webhooks {
		if _, err := s.webhook(ctx, sdk.WebhookRequest{Method: "POST", Body: []byte("{}")}); !errors.Is(err, sdk.ErrNotSupported) {
			t.Errorf("HandleWebhook on a connector without webhooks: got %v, want sdk.ErrNotSupported", err)
		}
	}
	if !f.Polling {
		if _, err := s.poll(ctx, ""); !errors.Is(err, sdk.ErrNotSupported) {
			t.Errorf("Poll on a connector without polling: got %v, want sdk.ErrNotSupported", err)
		}
	}
	if !f.Actions {
		if _, err := s.do(ctx, sdk.ActionRequest{Action: "x"}); !errors.Is(err, sdk.ErrNotSupported) {
			t.Errorf("Do on a connector without actions: got %v, want sdk.ErrNotSupported", err)
		}
	}
}
