package zendesk

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/fakeapi"
)

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
	c.transport = fakeapi.InProcess{Handler: fake.Config.Handler}
	if err := c.Configure(context.Background(), testConfig(fake)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := signedRequest(body, testSecret, testNow.Add(-10*time.Second))
		connectortest.CheckFuzzedWebhook(t, c, req, true)
	})
}
