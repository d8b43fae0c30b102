package shopify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/parley-hub/parley/sdk"
)

func TestConfigure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		cfg        sdk.Config
		wantFields []string
	}{
		{"minimal", sdk.Config{keyClientSecret: "s"}, nil},
		{"everything", sdk.Config{keyClientSecret: "s", keyPreviousClientSecret: "p", keyDefaultRegion: "br", keyAbandonedAfter: "90m", keyMaxPending: "5"}, nil},
		{"all wrong at once", sdk.Config{keyDefaultRegion: "XX", keyAbandonedAfter: "soon", keyMaxPending: "-1"},
			[]string{keyClientSecret, keyDefaultRegion, keyAbandonedAfter, keyMaxPending}},
		{"zero delay", sdk.Config{keyClientSecret: "s", keyAbandonedAfter: "0s"}, []string{keyAbandonedAfter}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := New().Configure(context.Background(), tc.cfg)
			if len(tc.wantFields) == 0 {
				if err != nil {
					t.Fatalf("Configure: %v", err)
				}
				return
			}
			if !errors.Is(err, sdk.ErrBadRequest) {
				t.Fatalf("got %v, want sdk.ErrBadRequest", err)
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *sdk.ConfigError
				if errors.As(e, &ce) {
					got = append(got, ce.Field)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.wantFields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fields %v, want %v (%v)", got, want, err)
			}
		})
	}
}

func TestNotConfigured(t *testing.T) {
	t.Parallel()
	c := New()
	if err := c.Health(context.Background()); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("Health: %v", err)
	}
	if _, err := c.Poll(context.Background(), ""); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("Poll: %v", err)
	}
}

func TestSpecDocumentsEveryField(t *testing.T) {
	t.Parallel()
	spec := New().Spec()
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range spec.Config {
		if f.Example == "" || strings.TrimSpace(f.Description) == "" {
			t.Errorf("field %q lacks an example or a description", f.Name)
		}
	}
}
