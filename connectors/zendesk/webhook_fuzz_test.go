package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/sdk"
)

// e164 is what a connector's contact phone must look like, when set.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// FuzzHandleWebhook: a correctly signed delivery of any body (an event
// envelope, a trigger body, anything else) never panics; it fails only with
// sdk.ErrBadRequest (or a retryable API error, which the fake does not give
// here); what it maps keeps the sdk.Event contract; and the same delivery
// again maps to the same events, since Zendesk retries deliveries.
func FuzzHandleWebhook(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed payloads: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"zen:event-type:ticket.created","id":"x","detail":{"id":12,"requester_id":8447388090500}}`))
	f.Add([]byte(`{"type":"zen:event-type:ticket.comment_added","id":"y","detail":{"id":"12","requester_id":"8447388090500"},"event":{"comment":{"id":1,"body":"hi","is_public":true,"author":{"id":8447388090494,"is_staff":true}}}}`))
	f.Add([]byte(`{"event":"ticket.solved","ticket":{"id":"7","tags":"a b"},"requester":{"id":"1","phone":"+55 11 98765-4321"}}`))
	f.Add([]byte(`{"ticket":null}`))

	fake := zendesktest.New(f, testEmail, testToken)
	fake.AddUser(zendesktest.User{ID: 8447388090494, Name: "Maria Agent", Email: "maria@acme.example", Role: "agent"})
	fake.AddUser(zendesktest.User{ID: 8447388090500, Name: "Ana Souza", Email: "ana.souza@example.com", Phone: "+55 11 98765-4321", Locale: "pt-BR"})
	fake.AddUser(zendesktest.User{ID: 8447388090501, Name: "Web Visitor", Email: "visitor@example.com", Locale: "en-US"})
	fake.AddUser(zendesktest.User{ID: 8447388090502, Name: "Steve Shipper", Phone: "+1 (555) 555-5555"})
	// The fake API is called in process, not over a socket: the server's
	// connection goroutines would make coverage flaky, and the fuzzer slow.
	c := New()
	c.now = func() time.Time { return testNow }
	c.transport = inProcess{fake.Config.Handler}
	if err := c.Configure(context.Background(), testConfig(fake)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := signedRequest(body, testSecret, testNow.Add(-10*time.Second))
		res, err := c.HandleWebhook(context.Background(), req)
		if err != nil {
			if _, retry := sdk.IsRetryable(err); !errors.Is(err, sdk.ErrBadRequest) && !retry {
				t.Fatalf("error %v (%T) is neither sdk.ErrBadRequest nor retryable", err, err)
			}
			if len(res.Events) != 0 {
				t.Fatalf("events with an error: %+v", res.Events)
			}
			return
		}
		checkWebhookResult(t, res)
		again, err := c.HandleWebhook(context.Background(), req)
		if err != nil {
			t.Fatalf("the same delivery again: %v", err)
		}
		if diff := cmp.Diff(eventKeys(res), eventKeys(again)); diff != "" || res.DedupeKey != again.DedupeKey {
			t.Fatalf("the same delivery maps differently the second time (-first +second):\n%s\ndedupe %q vs %q", diff, res.DedupeKey, again.DedupeKey)
		}
	})
}

// checkWebhookResult checks the sdk.Event contract on every event.
func checkWebhookResult(t *testing.T, res sdk.WebhookResult) {
	t.Helper()
	for i, ev := range res.Events {
		if strings.TrimSpace(ev.Type) == "" || strings.TrimSpace(ev.Source) == "" || strings.TrimSpace(ev.ID) == "" {
			t.Fatalf("event %d lacks type, source or id: %+v", i, ev)
		}
		if ev.Contact.Phone != "" && !e164.MatchString(ev.Contact.Phone) {
			t.Fatalf("event %d phone %q is not E.164", i, ev.Contact.Phone)
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("result does not encode: %v", err)
	}
}

// eventKeys is what must not change between deliveries of the same payload.
func eventKeys(res sdk.WebhookResult) []string {
	var out []string
	for _, ev := range res.Events {
		out = append(out, ev.Type+" "+ev.Source+" "+ev.ID+" "+ev.Contact.Phone)
	}
	return out
}

// inProcess is an http.RoundTripper that calls a handler directly.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
