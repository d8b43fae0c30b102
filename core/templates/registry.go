package templates

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/store"
)

// Approval statuses (PROTOCOL §5). Only Approved may be sent; Unknown
// means the platform has not reported on the variant (no webhook, no sync
// yet), and Parley lets the platform decide.
const (
	Approved = "APPROVED"
	Unknown  = ""
)

var (
	// ErrUnknown means no template has the name.
	ErrUnknown = errors.New("unknown template")
	// ErrNoVariant means no language of the fallback chain has a sendable
	// variant.
	ErrNoVariant = errors.New("no approved variant in the language fallback chain")
	// ErrNotApproved means the variant exists but the platform has not
	// approved it (or paused, disabled or deleted it).
	ErrNotApproved = errors.New("template variant not approved")
	// ErrParams means the parameters do not fit the template's schema.
	ErrParams = errors.New("template parameters do not fit")
)

// Variant is one language of one template, with what the gate needs.
type Variant struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	// Category is marketing, utility or authentication.
	Category string `json:"category"`
	Body     string `json:"-"`
	// Named reports the named parameter format.
	Named   bool                   `json:"-"`
	Params  []config.TemplateParam `json:"-"`
	Version int                    `json:"version,omitempty"`
	// Status is the platform's approval status, Unknown if not reported.
	Status string `json:"status,omitempty"`
	// Configured reports a variant listed in the config (else known only
	// from the platform).
	Configured bool `json:"-"`
}

// Sendable reports whether the variant may be sent.
func (v Variant) Sendable() bool { return v.Status == Approved || v.Status == Unknown }

type catalog struct {
	byName map[string]*entry
}

type entry struct {
	name     string
	def      string // default language
	category string
	named    bool
	params   []config.TemplateParam
	version  int
	variants map[string]string // language → body
	order    []string
}

// Config configures a Registry.
type Config struct {
	// Templates are the configured templates (Meta's hello_world is added).
	Templates []config.Template
	// DefaultLocale is the last resort of every chain (contacts.default_locale).
	DefaultLocale string
	// StatusTTL is how long approval statuses are cached; default 2s.
	StatusTTL time.Duration
	Now       func() time.Time
}

// Registry knows the templates and their approval statuses. It is safe
// for concurrent use; Reload swaps the definitions atomically.
type Registry struct {
	db            *store.DB
	cat           atomic.Pointer[catalog]
	defaultLocale string
	ttl           time.Duration
	now           func() time.Time

	mu       sync.Mutex
	statuses atomic.Pointer[statusCache]
}

type statusCache struct {
	at       time.Time
	status   map[[2]string]string // name, language → status
	category map[string]string    // name → category (lower case)
}

// NewRegistry returns a Registry reading statuses from db.
func NewRegistry(db *store.DB, cfg Config) *Registry {
	if cfg.StatusTTL <= 0 {
		cfg.StatusTTL = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Registry{db: db, defaultLocale: cfg.DefaultLocale, ttl: cfg.StatusTTL, now: cfg.Now}
	r.Reload(cfg.Templates)
	return r
}

// Reload replaces the template definitions (a changed config file).
func (r *Registry) Reload(ts []config.Template) {
	c := &catalog{byName: map[string]*entry{}}
	for _, t := range config.KnownTemplates(ts) {
		e := c.byName[t.Name]
		if e == nil {
			e = &entry{name: t.Name, category: t.Category, named: t.ParameterFormat == "named", params: t.Params, version: t.Version, variants: map[string]string{}}
			c.byName[t.Name] = e
		}
		lang := Canonical(t.Language)
		if _, dup := e.variants[lang]; !dup {
			e.variants[lang] = t.Body
			e.order = append(e.order, lang)
		}
		if e.def == "" {
			e.def = Canonical(t.DefaultLanguage)
		}
	}
	for _, e := range c.byName {
		if e.def == "" && len(e.order) > 0 {
			e.def = e.order[0]
		}
	}
	r.cat.Store(c)
}

// Invalidate drops the cached statuses (after Sync).
func (r *Registry) Invalidate() { r.statuses.Store(nil) }

func (r *Registry) loadStatuses(ctx context.Context) (*statusCache, error) {
	now := r.now()
	if c := r.statuses.Load(); c != nil && now.Sub(c.at) < r.ttl {
		return c, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.statuses.Load(); c != nil && now.Sub(c.at) < r.ttl {
		return c, nil
	}
	rows, err := r.db.Reader().QueryContext(ctx, `SELECT name, language, status, COALESCE(category, '') FROM template_statuses`)
	if err != nil {
		return nil, fmt.Errorf("template statuses: %w", err)
	}
	defer rows.Close()
	c := &statusCache{at: now, status: map[[2]string]string{}, category: map[string]string{}}
	for rows.Next() {
		var name, lang, st, cat string
		if err := rows.Scan(&name, &lang, &st, &cat); err != nil {
			return nil, fmt.Errorf("template statuses: %w", err)
		}
		c.status[[2]string{name, Canonical(lang)}] = strings.ToUpper(st)
		if cat != "" {
			c.category[name] = strings.ToLower(cat)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("template statuses: %w", err)
	}
	r.statuses.Store(c)
	return c, nil
}

// Variants returns every known variant of the template, configured ones
// first, with their statuses.
func (r *Registry) Variants(ctx context.Context, name string) ([]Variant, error) {
	st, err := r.loadStatuses(ctx)
	if err != nil {
		return nil, err
	}
	var out []Variant
	e := r.cat.Load().byName[name]
	if e != nil {
		for _, lang := range e.order {
			out = append(out, Variant{Name: name, Language: lang, Category: e.category, Body: e.variants[lang], Named: e.named,
				Params: e.params, Version: e.version, Status: st.status[[2]string{name, lang}], Configured: true})
		}
	}
	var synced []Variant
	for k, s := range st.status {
		if k[0] != name || e != nil && e.variants[k[1]] != "" {
			continue
		}
		cat := st.category[name]
		if e != nil {
			cat = e.category
		}
		synced = append(synced, Variant{Name: name, Language: k[1], Category: cat, Status: s})
	}
	slices.SortFunc(synced, func(a, b Variant) int { return strings.Compare(a.Language, b.Language) })
	out = append(out, synced...)
	if len(out) == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	return out, nil
}

// Variant returns the template's variant in exactly language lang.
func (r *Registry) Variant(ctx context.Context, name, lang string) (Variant, error) {
	vs, err := r.Variants(ctx, name)
	if err != nil {
		return Variant{}, err
	}
	lang = Canonical(lang)
	for _, v := range vs {
		if v.Language == lang {
			return v, nil
		}
	}
	return Variant{}, fmt.Errorf("%w: template %q has no language %s", ErrNoVariant, name, lang)
}

// Category returns the template's category, or "" when it is unknown.
func (r *Registry) Category(ctx context.Context, name string) string {
	vs, err := r.Variants(ctx, name)
	if err != nil || len(vs) == 0 {
		return ""
	}
	return vs[0].Category
}

// Resolve returns the variant to send to a contact whose language is
// locale: the first language of Chain(locale, the template's default
// language, the default locale) that the template has and the platform has
// not refused. The error wraps ErrUnknown or ErrNoVariant and says which
// languages were tried.
func (r *Registry) Resolve(ctx context.Context, name, locale string) (Variant, error) {
	vs, err := r.Variants(ctx, name)
	if err != nil {
		return Variant{}, err
	}
	def := ""
	if e := r.cat.Load().byName[name]; e != nil {
		def = e.def
	}
	chain := Chain(locale, def, r.defaultLocale)
	var refused []string
	for _, lang := range chain {
		for _, v := range vs {
			if v.Language != lang {
				continue
			}
			if v.Sendable() {
				return v, nil
			}
			refused = append(refused, lang+" is "+v.Status)
		}
	}
	msg := fmt.Sprintf("template %q, tried %s", name, strings.Join(chain, " → "))
	if len(refused) > 0 {
		msg += " (" + strings.Join(refused, ", ") + ")"
	}
	return Variant{}, fmt.Errorf("%w: %s", ErrNoVariant, msg)
}

// Chain returns the languages to try for locale, most specific first:
// locale itself, its parents by CLDR (es_MX → es_419 → es), then each of
// defaults; duplicates and empty names are left out. Names are canonical
// (Canonical).
func Chain(locale string, defaults ...string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if t, err := language.Parse(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-")); err == nil {
		for ; !t.IsRoot(); t = t.Parent() {
			add(underscore(t.String()))
		}
	}
	for _, d := range defaults {
		add(Canonical(d))
	}
	return out
}

// Canonical returns a language code in WhatsApp's underscore form with
// canonical case: pt-br → pt_BR; an unparseable code is returned as is.
func Canonical(code string) string {
	t, err := language.Parse(strings.ReplaceAll(strings.TrimSpace(code), "_", "-"))
	if err != nil {
		return code
	}
	return underscore(t.String())
}

func underscore(s string) string { return strings.ReplaceAll(s, "-", "_") }

// Names returns the names of every known template, configured or reported
// by the platform, sorted.
func (r *Registry) Names(ctx context.Context) ([]string, error) {
	st, err := r.loadStatuses(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for name := range r.cat.Load().byName {
		seen[name] = true
	}
	for k := range st.status {
		seen[k[0]] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}
