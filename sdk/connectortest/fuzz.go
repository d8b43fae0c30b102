package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parley-hub/parley/sdk"
)

// e164 is what a contact phone must look like, when set.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// CheckFuzzedWebhook is the body of a connector's webhook fuzz target: a
// correctly signed request with any body must not panic; it may fail only
// with sdk.ErrBadRequest (or, when retryableOK, an sdk.RetryableError from
// the vendor's API) and then with no events; every event keeps the
// sdk.Event contract (type, source and id set, an E.164 phone or none, the
// result encodes as JSON); and the same request again maps to the same
// events and dedupe key, since platforms redeliver.
func CheckFuzzedWebhook(t *testing.T, h sdk.WebhookHandler, req sdk.WebhookRequest, retryableOK bool) {
	t.Helper()
	res, err := h.HandleWebhook(context.Background(), req)
	if err != nil {
		_, retry := sdk.IsRetryable(err)
		if !errors.Is(err, sdk.ErrBadRequest) && !(retryableOK && retry) {
			t.Fatalf("error %v (%T) is not sdk.ErrBadRequest (retryable allowed: %v)", err, err, retryableOK)
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
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("result does not encode: %v", err)
	}
	again, err := h.HandleWebhook(context.Background(), req)
	if err != nil {
		t.Fatalf("the same delivery again: %v", err)
	}
	if first, second := eventKeys(res), eventKeys(again); !slices.Equal(first, second) || res.DedupeKey != again.DedupeKey {
		t.Fatalf("the same delivery maps differently the second time:\nfirst  %q dedupe %q\nsecond %q dedupe %q", first, res.DedupeKey, second, again.DedupeKey)
	}
}

// eventKeys is what must not change between deliveries of the same request.
func eventKeys(res sdk.WebhookResult) []string {
	var out []string
	for _, ev := range res.Events {
		out = append(out, ev.Type+" "+ev.Source+" "+ev.ID+" "+ev.Contact.Phone)
	}
	return out
}
