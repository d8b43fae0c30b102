package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidateAPIKeyScopesAndValidity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  KeyHash
		want []FieldError
	}{
		{name: "scoped and bounded", key: KeyHash{Scopes: []string{"events:write", "dlq:replay"}, NotBefore: "2026-01-01T00:00:00Z", ExpiresAt: "2026-02-01T00:00:00+01:00"}},
		{name: "no scopes", key: KeyHash{}, want: []FieldError{
			{Path: "api.keys[0].scopes", Value: []string(nil), Msg: "required: list what the key may do, e.g. [events:write] or [admin] for everything"},
		}},
		{name: "unknown scope", key: KeyHash{Scopes: []string{"admin", "events:read"}}, want: []FieldError{
			{Path: "api.keys[0].scopes[1]", Value: "events:read", Msg: `must be one of events:write, messages:send, messages:read, contacts:read, contacts:write, connectors:read, dlq:read, dlq:replay, admin; got "events:read"`},
		}},
		{name: "not a time", key: KeyHash{Scopes: []string{"admin"}, ExpiresAt: "2026-02-01"}, want: []FieldError{
			{Path: "api.keys[0].expires_at", Value: "2026-02-01", Msg: `"2026-02-01" is not an RFC 3339 time such as 2026-07-01T00:00:00Z`},
		}},
		{name: "expires before it starts", key: KeyHash{Scopes: []string{"admin"}, NotBefore: "2026-02-01T00:00:00Z", ExpiresAt: "2026-02-01T00:00:00Z"}, want: []FieldError{
			{Path: "api.keys[0].expires_at", Value: "2026-02-01T00:00:00Z", Msg: `must be after not_before (2026-02-01T00:00:00Z); got "2026-02-01T00:00:00Z"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.key.Name, tt.key.Hash = "ops", HashAPIKey("k")
			c.API.Keys = []KeyHash{tt.key}
			var got []FieldError
			if err := c.Validate(); err != nil {
				got = fieldErrors(t, err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreCause); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyValidity(t *testing.T) {
	t.Parallel()
	nb, ex := KeyHash{NotBefore: "2026-01-01T00:00:00Z", ExpiresAt: "2026-01-02T01:00:00+01:00"}.Validity()
	if !nb.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !ex.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Validity = %v, %v", nb, ex)
	}
	if nb, ex := (KeyHash{}).Validity(); !nb.IsZero() || !ex.IsZero() {
		t.Errorf("Validity of an unbounded key = %v, %v; want zero times", nb, ex)
	}
}
