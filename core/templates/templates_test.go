package templates

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

func TestChain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"pt_BR", []string{"pt_BR", "pt", "en_US"}},
		{"es-MX", []string{"es_MX", "es_419", "es", "en_US"}},
		{"", []string{"en_US"}},
		{"klingon!", []string{"en_US"}},
		{"en_US", []string{"en_US", "en"}},
	} {
		if got := Chain(tc.locale, "en_US"); !slices.Equal(got, tc.want) {
			t.Errorf("Chain(%q) = %v; want %v", tc.locale, got, tc.want)
		}
	}
}

func newRegistry(t *testing.T) (*store.DB, *Registry) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "t.db"), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := NewRegistry(db, Config{DefaultLocale: "en_US", Templates: []config.Template{{
		Name: "receipt", Category: "utility", DefaultLanguage: "en_US",
		Params: []config.TemplateParam{{Name: "total", Type: "currency", Currency: "BRL"}, {Name: "day", Type: "date"}, {Name: "items", Type: "number"}},
		Variants: []config.TemplateVariant{
			{Language: "en_US", Body: "Paid {{1}} on {{2}} for {{3}} items"},
			{Language: "pt_BR", Body: "Pago {{1}} em {{2}} por {{3}} itens"},
			{Language: "es", Body: "Pagado {{1}} el {{2}} por {{3}} artículos"},
			{Language: "pt_PT", Body: "Pago {{1}} a {{2}} por {{3}} artigos"},
		},
	}}})
	return db, r
}

func TestResolveAndBuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, r := newRegistry(t)
	for _, tc := range []struct{ locale, want string }{{"pt_BR", "pt_BR"}, {"es_MX", "es"}, {"fr_FR", "en_US"}, {"", "en_US"}} {
		v, err := r.Resolve(ctx, "receipt", tc.locale)
		if err != nil || v.Language != tc.want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", tc.locale, v.Language, err, tc.want)
		}
	}
	// The platform pauses pt_BR: a Brazilian contact gets the default.
	err := db.Write(ctx, func(tx *store.Tx) error {
		return UpsertStatusTx(ctx, tx, StatusUpdate{Name: "receipt", Language: "pt-BR", Status: "PAUSED"}, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Invalidate()
	if v, err := r.Resolve(ctx, "receipt", "pt_BR"); err != nil || v.Language != "en_US" {
		t.Errorf("Resolve(pt_BR) with pt_BR paused = %s, %v; want en_US", v.Language, err)
	}
	v, _ := r.Variant(ctx, "receipt", "pt_BR")
	if err := v.Check(&whatsapp.Template{Name: "receipt"}); !errors.Is(err, ErrNotApproved) {
		t.Errorf("Check on a paused variant = %v; want ErrNotApproved", err)
	}
	// Values are formatted in the variant's language.
	es, _ := r.Variant(ctx, "receipt", "es")
	tpl, err := es.Build([]string{"1234.5", "2026-11-25", "1500"})
	if err != nil {
		t.Fatal(err)
	}
	ps := tpl.Components[0].Parameters
	if ps[0].Type != "currency" || ps[0].Currency.Amount1000 != 1234500 || ps[0].Currency.Code != "BRL" || ps[1].Text != "25 de noviembre de 2026" || ps[2].Text != "1.500" {
		t.Errorf("built %+v %+v %+v", ps[0].Currency, ps[1], ps[2])
	}
	en, _ := r.Variant(ctx, "receipt", "en_US")
	tpl, _ = en.Build([]string{"1234.5", "2026-11-25", "1500"})
	if ps := tpl.Components[0].Parameters; ps[0].Currency.FallbackValue != "R$ 1,234.50" || ps[1].Text != "November 25, 2026" {
		t.Errorf("en_US built %+v %+v", ps[0].Currency, ps[1])
	}
	// Bad values and counts are refused before any send (never a 132000).
	if _, err := en.Build([]string{"lots", "2026-11-25", "1"}); !errors.Is(err, ErrParams) {
		t.Errorf("Build with a non-number = %v; want ErrParams", err)
	}
	if err := en.Check(&whatsapp.Template{Name: "receipt", Components: []whatsapp.TemplateComponent{{Type: "body", Parameters: []whatsapp.TemplateParameter{{Type: "text", Text: "x"}}}}}); !errors.Is(err, ErrParams) {
		t.Errorf("Check with 1 of 3 parameters = %v; want ErrParams", err)
	}
	if _, err := r.Resolve(ctx, "nope", "en"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Resolve(nope) = %v; want ErrUnknown", err)
	}
	// hello_world is always known.
	if v, err := r.Resolve(ctx, "hello_world", "de"); err != nil || v.Language != "en_US" || v.Category != "utility" {
		t.Errorf("hello_world = %+v, %v", v, err)
	}
}

func TestNamedParameters(t *testing.T) {
	t.Parallel()
	v := Variant{Name: "n", Language: "en_US", Named: true, Configured: true, Body: "Hi {{name}}, order {{order}}"}
	tpl, err := v.Build([]string{"Ana", "7"})
	if err != nil {
		t.Fatal(err)
	}
	if p := tpl.Components[0].Parameters; p[0].ParameterName != "name" || p[1].ParameterName != "order" {
		t.Errorf("named parameters = %+v", p)
	}
	tpl.Components[0].Parameters[1].ParameterName = "other"
	if err := v.Check(tpl); !errors.Is(err, ErrParams) {
		t.Errorf("Check with an unknown name = %v; want ErrParams", err)
	}
}
