package hubspot

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-hub/parley/connectors/hubspot/hubspottest"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/fakeapi"
)

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
	c.transport = fakeapi.InProcess{Handler: fake.Config.Handler}
	if err := c.Configure(context.Background(), testConfig(fake)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := signedRequest(body, testSecret, testWebhookURL, testNow)
		connectortest.CheckFuzzedWebhook(t, c, req, true)
	})
}
