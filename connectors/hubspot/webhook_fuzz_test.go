package hubspot

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

	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/sdk"
)

// e164 is what a connector's contact phone must look like, when set.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// FuzzHandleWebhook: a correctly signed batch of any body never panics; it
// fails only with sdk.ErrBadRequest (or a retryable error from the CRM API,
// which the fake does not give here); what it maps keeps the sdk.Event
// contract; and the same batch again maps to the same events, since
// HubSpot retries batches.
func FuzzHandleWebhook(f *testing.F) {
	for _, name := range []string{"webhook_batch.json", "webhook_docs_example.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"eventId":1,"subscriptionId":2,"portalId":3,"objectId":1246965,"subscriptionType":"contact.creation","occurredAt":-1}]`))
	f.Add([]byte(`[{"eventId":"x","objectId":1247001,"eventType":"contact.propertyChange","propertyName":"phone","propertyValue":{"a":1}}]`))
	f.Add([]byte(`[{"eventId":1,"objectId":"../../x","subscriptionType":"contact.creation"}]`))

	fake := hubspottest.New(f, testToken)
	fake.AddContact("1246965", map[string]string{"firstname": "Ana", "lastname": "Souza", "email": "ana.souza@example.com", "mobilephone": "+55 11 98765-4321", "phone": "(650) 555-1234", "hs_language": "pt-br"})
	fake.AddContact("1246978", map[string]string{"firstname": "Brian", "lastname": "Halligan", "email": "bh@hubspot.example"})
	fake.AddContact("1247001", map[string]string{"firstname": "Steve", "lastname": "Shipper", "phone": "555-555-SHIP"})
	fake.AddContact("1247002", map[string]string{"firstname": "Oliver", "email": "oliver@example.com", "phone": "(650) 555-1234"})
	// The fake API is called in process, not over a socket: the server's
	// connection goroutines would make coverage flaky, and the fuzzer slow.
	c := New()
	c.now = func() time.Time { return testNow }
	c.transport = inProcess{fake.Config.Handler}
	if err := c.Configure(context.Background(), testConfig(fake)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := signedRequest(body, testSecret, testWebhookURL, testNow)
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
			t.Fatalf("the same batch again: %v", err)
		}
		if diff := cmp.Diff(eventKeys(res), eventKeys(again)); diff != "" || res.DedupeKey != again.DedupeKey {
			t.Fatalf("the same batch maps differently the second time (-first +second):\n%s\ndedupe %q vs %q", diff, res.DedupeKey, again.DedupeKey)
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

// eventKeys is what must not change between deliveries of the same batch.
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
