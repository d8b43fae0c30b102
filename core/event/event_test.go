package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestDecode(t *testing.T) {
	t.Parallel()
	ev, err := Decode([]byte(`{"type":"order.shipped","source":"shop","id":1001,"occurred_at":"2026-11-24T09:30:00+01:00",
		"contact":{"phone":"+1 650 555 1234","name":"Ana","locale":"pt_BR","tier":"gold","attributes":{"crm_id":"c-9"}},
		"data":{"order_number":"1001","items":[{"sku":"A1","qty":2}],"total":19.5,"gift":true}}`), now)
	if err != nil {
		t.Fatal(err)
	}
	want := &Event{
		Type: "order.shipped", Source: "shop", ID: "1001",
		OccurredAt: time.Date(2026, 11, 24, 8, 30, 0, 0, time.UTC),
		Contact:    Contact{Phone: "+1 650 555 1234", Name: "Ana", Locale: "pt_BR", Attributes: map[string]any{"tier": "gold", "crm_id": "c-9"}},
	}
	if diff := cmp.Diff(want, ev, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Data" }, cmp.Ignore())); diff != "" {
		t.Errorf("Decode mismatch (-want +got):\n%s", diff)
	}
	lookups := map[string]string{
		"id": "1001", "type": "order.shipped", "source": "shop", "occurred_at": "2026-11-24T08:30:00Z",
		"contact.name": "Ana", "contact.tier": "gold", "contact.attributes.crm_id": "c-9",
		"data.order_number": "1001", "data.items.0.sku": "A1", "data.items.0.qty": "2", "data.total": "19.5", "data.gift": "true",
	}
	for path, want := range lookups {
		if got, ok := ev.Lookup(path); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
	for _, path := range []string{"data.missing", "data.items.5.sku", "data.items.x", "contact.email", "nope", "id.x"} {
		if got, ok := ev.Lookup(path); ok {
			t.Errorf("Lookup(%q) = %q, true; want nothing", path, got)
		}
	}
}

func TestDecodeDefaultsOccurredAt(t *testing.T) {
	t.Parallel()
	ev, err := Decode([]byte(`{"type":"t","source":"s","id":"1"}`), now)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.OccurredAt.Equal(now) {
		t.Errorf("OccurredAt = %v, want %v", ev.OccurredAt, now)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, field, contains string
	}{
		{"empty", ``, "body", "empty body"},
		{"malformed", `{"type":"x",`, "body", "malformed JSON"},
		{"trailing", `{"type":"t","source":"s","id":"1"} {}`, "body", "after the JSON object"},
		{"not an object", `[1,2]`, "", "want a"},
		{"unknown field", `{"type":"t","source":"s","id":"1","colour":"red"}`, "colour", "unknown field"},
		{"missing type", `{"source":"s","id":"1"}`, "type", "is required"},
		{"missing source", `{"type":"t","id":"1"}`, "source", "is required"},
		{"missing id", `{"type":"t","source":"s"}`, "id", "is required"},
		{"id object", `{"type":"t","source":"s","id":{"a":1}}`, "id", "want a string or a number"},
		{"long type", `{"type":"` + strings.Repeat("x", 300) + `","source":"s","id":"1"}`, "type", "longer than 256"},
		{"bad time", `{"type":"t","source":"s","id":"1","occurred_at":"yesterday"}`, "occurred_at", "RFC 3339"},
		{"contact array", `{"type":"t","source":"s","id":"1","contact":[1]}`, "contact", "want a JSON object"},
		{"phone object", `{"type":"t","source":"s","id":"1","contact":{"phone":{"n":1}}}`, "contact.phone", "want a string"},
		{"data string", `{"type":"t","source":"s","id":"1","data":"x"}`, "data", "want a JSON object"},
		{"type number", `{"type":5,"source":"s","id":"1"}`, "type", "want a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tc.body), now)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode(%q) error = %v, want a *FieldError", tc.body, err)
			}
			if tc.field != "" && fe.Field != tc.field {
				t.Errorf("field = %q, want %q (error %v)", fe.Field, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
}
