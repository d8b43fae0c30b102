package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// builtinTemplates are known without being listed: Meta creates hello_world in
// every WhatsApp Business Account.
var builtinTemplates = []Template{{
	Name: "hello_world", Language: "en_US", Category: "utility", Body: "Hello World",
}}

var (
	placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	eventPathRE   = regexp.MustCompile(`^(id|type|source|occurred_at|(contact|data)(\.[A-Za-z0-9_-]+)+)$`)
)

// Validate checks every constraint and returns a *ValidationError listing every
// problem, or nil. It checks the rules declared in struct tags (required, enum,
// pattern, format, min, max), then the rules between fields.
func (c *Config) Validate() error {
	v := validator{mode: c.Mode}
	v.fields("", valueOf(c))
	v.production(c)
	v.apiKeys(c)
	v.retry(c)
	v.templates(c)
	v.connectors(c)
	v.escalation(c)
	v.flows(c)
	v.policy(c)
	return v.err()
}

type validator struct {
	problems
	mode Mode
}

// fields checks the tag-declared rules of every field of struct v.
func (v *validator) fields(path string, rv reflect.Value) {
	for _, f := range fieldsOf(rv.Type()) {
		fv := rv.Field(f.index)
		p := join(path, f.key)
		switch kindOf(f.typ) {
		case kindStruct:
			v.fields(p, fv)
		case kindPtrStruct:
			if !fv.IsNil() {
				v.fields(p, fv.Elem())
			}
		case kindStructList:
			for i := range fv.Len() {
				v.fields(fmt.Sprintf("%s[%d]", p, i), fv.Index(i))
			}
		case kindScalarList:
			for i := range fv.Len() {
				v.leaf(&f, fmt.Sprintf("%s[%d]", p, i), fv.Index(i))
			}
		case kindMap:
			// Free-form values: their owner (a connector's spec) checks them.
		default:
			v.leaf(&f, p, fv)
		}
	}
}

// leaf checks one scalar against its field's rules.
func (v *validator) leaf(f *field, path string, fv reflect.Value) {
	val := fv.Interface()
	shown := shownValue(val, f.secret)
	if fv.Kind() == reflect.String {
		s := fv.String()
		if s == "" {
			if f.requiredIn(v.mode) {
				if f.required == "true" {
					v.add(path, shown, ErrRequired, "required")
				} else {
					v.add(path, shown, ErrRequired, "required in %s mode", f.required)
				}
			}
			return
		}
		if f.enum != nil && !slices.Contains(f.enum, s) {
			v.add(path, shown, nil, "must be one of %s; got %s", strings.Join(f.enum, ", "), show(val, f.secret))
		}
		if f.pattern != nil && !f.pattern.MatchString(s) {
			v.add(path, shown, nil, "%s does not match %s", show(val, f.secret), f.pattern)
		}
		if f.format != "" {
			if msg := checkFormat(f.format, s); msg != "" {
				v.add(path, shown, nil, "%s %s", show(val, f.secret), msg)
			}
		}
		return
	}
	var n float64
	switch fv.Kind() {
	case reflect.Int, reflect.Int64:
		n = float64(fv.Int())
	case reflect.Float64:
		n = fv.Float()
	default:
		return
	}
	if b := f.min; b != nil && (n < b.value || b.exclusive && n == b.value) {
		v.add(path, val, nil, "must be %s; got %s", boundText(f), show(val, false))
	} else if b := f.max; b != nil && (n > b.value || b.exclusive && n == b.value) {
		v.add(path, val, nil, "must be %s; got %s", boundText(f), show(val, false))
	}
}

// boundText describes a field's bounds, e.g. "> 0", "at least 1", "0 to 1".
func boundText(f *field) string {
	lo, hi := f.min, f.max
	num := func(b *bound) string { return strings.TrimLeft(b.raw, "<>") }
	switch {
	case lo != nil && hi != nil && !lo.exclusive && !hi.exclusive:
		return fmt.Sprintf("%s to %s", num(lo), num(hi))
	case lo != nil && hi != nil:
		return fmt.Sprintf("%s and %s", boundText(&field{min: lo}), boundText(&field{max: hi}))
	case lo != nil && lo.exclusive:
		return "> " + num(lo)
	case lo != nil:
		return "at least " + num(lo)
	case hi.exclusive:
		return "< " + num(hi)
	default:
		return "at most " + num(hi)
	}
}

// checkFormat returns why s is not in the format, or "".
func checkFormat(format, s string) string {
	switch format {
	case "hostport":
		_, port, err := net.SplitHostPort(s)
		if err != nil {
			return "is not host:port"
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return "has no valid port (0-65535)"
		}
	case "url":
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "is not an absolute http(s) URL"
		}
	case "timezone":
		return checkTimeZone(s)
	case "timestamp":
		return checkTimestamp(s)
	case "eventpath":
		if !eventPathRE.MatchString(s) {
			return "is not an event path: use contact.<field>, data.<field>, id, type, source or occurred_at"
		}
	}
	return ""
}

// production checks what production mode needs beyond required tags.
func (v *validator) production(c *Config) {
	if c.Mode == ModeProduction && len(c.APIKeyHashes()) == 0 {
		v.add("api.keys", []KeyHash{}, ErrRequired,
			"production mode needs at least one API key: list one under api.keys or set %s", EnvAPIKey)
	}
}

func (v *validator) apiKeys(c *Config) {
	seen := map[string]int{}
	for i, k := range c.API.Keys {
		if j, dup := seen[k.Name]; dup && k.Name != "" {
			v.add(fmt.Sprintf("api.keys[%d].name", i), k.Name, nil, "duplicate key name %q (also api.keys[%d])", k.Name, j)
		}
		seen[k.Name] = i
		v.apiKey(fmt.Sprintf("api.keys[%d]", i), k)
	}
}

func (v *validator) retry(c *Config) {
	r := c.Pipeline.Retry
	if r.InitialInterval > 0 && r.MaxInterval > 0 && r.MaxInterval < r.InitialInterval {
		v.add("pipeline.retry.max_interval", r.MaxInterval, nil,
			"must be at least initial_interval (%s); got %s", formatDuration(r.InitialInterval), formatDuration(r.MaxInterval))
	}
}

func (v *validator) templates(c *Config) {
	seen := map[[2]string]int{}
	category := map[string]int{}
	for i, t := range c.Templates {
		p := fmt.Sprintf("templates[%d]", i)
		for _, tr := range t.Translations() {
			id := [2]string{t.Name, tr.Language}
			if j, dup := seen[id]; dup && t.Name != "" && j != i {
				v.add(p+".name", t.Name, nil, "duplicate template %q in %s (also templates[%d])", t.Name, tr.Language, j)
			} else {
				seen[id] = i
			}
		}
		if j, ok := category[t.Name]; ok && c.Templates[j].Category != t.Category {
			v.add(p+".category", t.Category, nil, "template %q is %s in templates[%d]; every language of a template has one category", t.Name, c.Templates[j].Category, j)
		} else if !ok {
			category[t.Name] = i
		}
		v.templateVariants(p, t)
	}
}

func (v *validator) flows(c *Config) {
	// Known templates: the first of each name and language (duplicates are
	// reported by templates), then Meta's built-ins.
	known := KnownTemplates(c.Templates)
	seen := map[string]int{}
	for i, f := range c.Flows {
		p := fmt.Sprintf("flows[%d]", i)
		if j, dup := seen[f.Name]; dup && f.Name != "" {
			v.add(p+".name", f.Name, nil, "duplicate flow name %q (also flows[%d])", f.Name, j)
		} else {
			seen[f.Name] = i
		}
		switch n := countTrue(f.Template != nil, f.Text != "", f.Action.Name != ""); {
		case n > 1:
			v.add(p, nil, nil, "set exactly one of template, text and action, not more")
		case n == 1 && f.Interactive != nil:
			v.add(p+".interactive", nil, nil, "an interactive message replaces template, text and action; set only one")
		case n == 0 && f.Interactive == nil && len(f.Tags) == 0 && !f.Handoff:
			v.add(p, nil, ErrRequired, "set one of template, text, interactive or action (or only tags or handoff)")
		}
		if f.Action.Name != "" {
			v.flowAction(p+".action", f.Action, c)
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(f.Text, -1) {
			if !eventPathRE.MatchString(m[1]) {
				v.add(p+".text", f.Text, nil, "placeholder %s is not an event path: use contact.<field>, data.<field>, id, type, source or occurred_at", m[0])
			}
		}
		if f.Template != nil {
			v.flowTemplate(p+".template", f.Template, known)
		}
	}
}

// flowTemplate checks that a flow's template exists in the language asked for
// and gets as many params as its body has placeholders.
func (v *validator) flowTemplate(p string, ft *FlowTemplate, known []Template) {
	if ft.Name == "" {
		return // reported as required
	}
	var cands []Template
	for _, t := range known {
		if t.Name == ft.Name && (ft.Language == "" || t.Language == ft.Language) {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		var langs []string
		for _, t := range known {
			if t.Name == ft.Name {
				langs = append(langs, t.Language)
			}
		}
		if len(langs) == 0 {
			v.add(p+".name", ft.Name, nil, "unknown template %q", ft.Name)
		} else {
			v.add(p+".language", ft.Language, nil, "template %q has no language %q (has %s)", ft.Name, ft.Language, strings.Join(langs, ", "))
		}
		return
	}
	for _, t := range cands {
		n, err := t.bodyParams(t.Body)
		if err == nil && n != len(ft.Params) {
			v.add(p+".params", ft.Params, nil, "template %q (%s) takes %d params; got %d", t.Name, t.Language, n, len(ft.Params))
			return
		}
	}
}

// paramCount returns how many positional parameters a template body takes, or
// an error unless they are exactly {{1}}..{{n}}.
func paramCount(body string) (int, error) {
	seen := map[int]bool{}
	n := 0
	for _, m := range placeholderRE.FindAllStringSubmatch(body, -1) {
		i, err := strconv.Atoi(m[1])
		if err != nil || i < 1 {
			return 0, fmt.Errorf("placeholder %s is not positional: use {{1}}, {{2}}, ...", m[0])
		}
		seen[i] = true
		n = max(n, i)
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			return 0, fmt.Errorf("placeholders must be numbered {{1}} to {{%d}} without gaps; {{%d}} is missing", n, i)
		}
	}
	return n, nil
}

// ParamCount returns how many positional parameters ({{1}}, {{2}}, ...) the
// template's body takes. Validate rejects bodies where this is ill-defined.
func (t Template) ParamCount() int {
	n, _ := paramCount(t.Body)
	return n
}
