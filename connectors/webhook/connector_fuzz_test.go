package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
)

// e164 is what a connector's contact phone must look like, when set.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// FuzzHandleWebhook: a correctly signed body of any shape never panics; it
// fails only with sdk.ErrBadRequest; the event it maps keeps the sdk.Event
// contract (type, source and id set, the phone in E.164 or empty, data a
// JSON object); and the same body again maps to the same event.
func FuzzHandleWebhook(f *testing.F) {
	f.Add(readFixture(f, "order.json"))
	f.Add([]byte(`[{"event":"x"}]`))
	f.Add([]byte(`{"event":"x","order":{}}`))
	f.Add([]byte(`{"event":" ","order":{"id":true},"customer":{"phone":"00 44 20 7946 0958"},"created_at":"1764000000"}`))
	f.Add([]byte(`{"event":"order.paid","order":{"id":1.5e300},"customer":{"phone":["+1"]}} {}`))

	c := New()
	values, err := c.Spec().ParseConfig(testConfig)
	if err != nil {
		f.Fatal(err)
	}
	if err := c.Configure(context.Background(), values); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := signed(body, testSecret, now.Add(-30*time.Second))
		res, err := c.HandleWebhook(context.Background(), req)
		if err != nil {
			if !errors.Is(err, sdk.ErrBadRequest) {
				t.Fatalf("error %v (%T) does not wrap sdk.ErrBadRequest", err, err)
			}
			if len(res.Events) != 0 {
				t.Fatalf("events with an error: %+v", res.Events)
			}
			return
		}
		for i, ev := range res.Events {
			if strings.TrimSpace(ev.Type) == "" || strings.TrimSpace(ev.Source) == "" || strings.TrimSpace(ev.ID) == "" {
				t.Fatalf("event %d lacks type, source or id: %+v", i, ev)
			}
			if ev.Contact.Phone != "" && !e164.MatchString(ev.Contact.Phone) {
				t.Fatalf("event %d phone %q is not E.164", i, ev.Contact.Phone)
			}
			if ev.Data == nil {
				t.Fatalf("event %d has no data object", i)
			}
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
		again, err := c.HandleWebhook(context.Background(), req)
		if err != nil {
			t.Fatalf("the same body again: %v", err)
		}
		if diff := cmp.Diff(res, again); diff != "" {
			t.Fatalf("the same body maps differently the second time (-first +second):\n%s", diff)
		}
	})
}
