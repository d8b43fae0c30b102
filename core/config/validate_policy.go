package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Translations returns the template's languages: the language and body
// set on the entry itself, then its variants.
func (t Template) Translations() []TemplateVariant {
	var out []TemplateVariant
	if t.Language != "" || t.Body != "" {
		out = append(out, TemplateVariant{Language: t.Language, Body: t.Body})
	}
	return append(out, t.Variants...)
}

// ExpandTemplates returns one Template per name and language (each with
// Language and Body set, Variants empty), the first entry of a duplicated
// name and language winning.
func ExpandTemplates(ts []Template) []Template {
	var out []Template
	seen := map[[2]string]bool{}
	for _, t := range ts {
		for _, tr := range t.Translations() {
			id := [2]string{t.Name, tr.Language}
			if seen[id] {
				continue
			}
			seen[id] = true
			e := t
			e.Language, e.Body, e.Variants = tr.Language, tr.Body, nil
			out = append(out, e)
		}
	}
	return out
}

// KnownTemplates is ExpandTemplates(ts) followed by Meta's built-in
// hello_world (en_US), which every account has.
func KnownTemplates(ts []Template) []Template {
	return ExpandTemplates(append(slices.Clone(ts), builtinTemplates...))
}

var namedPlaceholderRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// namedParams returns the distinct named placeholders of body in order of
// first appearance, or an error for a placeholder that is not lower_snake.
func namedParams(body string) ([]string, error) {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(body, -1) {
		if !namedPlaceholderRE.MatchString(m[1]) {
			return nil, fmt.Errorf("placeholder %s is not named: use {{lower_snake_case}}", m[0])
		}
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names, nil
}

// bodyParams returns how many parameters a body of the template takes.
func (t Template) bodyParams(body string) (int, error) {
	if t.ParameterFormat == "named" {
		names, err := namedParams(body)
		return len(names), err
	}
	return paramCount(body)
}

// templateVariants checks what the tags cannot check on one template entry:
// language and body or variants, placeholders that agree with the
// parameter format and the parameter schema.
func (v *validator) templateVariants(p string, t Template) {
	switch {
	case len(t.Variants) > 0 && (t.Language != "" || t.Body != ""):
		v.add(p, nil, nil, "set language and body, or variants, not both")
	case len(t.Variants) == 0 && t.Language == "":
		v.add(p+".language", t.Language, ErrRequired, "required (or list variants)")
	case len(t.Variants) == 0 && t.Body == "":
		v.add(p+".body", t.Body, ErrRequired, "required (or list variants)")
	}
	type located struct {
		path string
		TemplateVariant
	}
	var trs []located
	if t.Language != "" || t.Body != "" {
		trs = append(trs, located{p, TemplateVariant{Language: t.Language, Body: t.Body}})
	}
	for i, tr := range t.Variants {
		trs = append(trs, located{fmt.Sprintf("%s.variants[%d]", p, i), tr})
	}
	langs := map[string]string{}
	for _, tr := range trs {
		vp := tr.path
		if other, dup := langs[tr.Language]; dup && tr.Language != "" {
			v.add(vp+".language", tr.Language, nil, "duplicate language %q (also %s)", tr.Language, other)
		}
		langs[tr.Language] = vp
		n, err := t.bodyParams(tr.Body)
		if err != nil {
			v.add(vp+".body", tr.Body, nil, "%v", err)
			continue
		}
		if len(t.Params) > 0 && n != len(t.Params) {
			v.add(vp+".body", tr.Body, nil, "has %d placeholders but params lists %d", n, len(t.Params))
		}
		if t.ParameterFormat == "named" && len(t.Params) > 0 {
			names, _ := namedParams(tr.Body)
			for _, name := range names {
				if !slices.ContainsFunc(t.Params, func(tp TemplateParam) bool { return tp.Name == name }) {
					v.add(vp+".body", tr.Body, nil, "placeholder {{%s}} is not in params", name)
				}
			}
		}
	}
	if t.DefaultLanguage != "" {
		if _, ok := langs[t.DefaultLanguage]; !ok {
			v.add(p+".default_language", t.DefaultLanguage, nil, "template %q has no language %q", t.Name, t.DefaultLanguage)
		}
	}
	for i, tp := range t.Params {
		if tp.Type == "currency" && tp.Currency == "" {
			v.add(fmt.Sprintf("%s.params[%d].currency", p, i), tp.Currency, ErrRequired, "required for a currency parameter")
		}
	}
}

// policy checks the gate's sections and the parts of flows the gate reads.
func (v *validator) policy(c *Config) {
	for i, w := range c.Consent.Keywords {
		p := fmt.Sprintf("consent.keywords[%d]", i)
		for j, k := range w.Stop {
			if strings.TrimSpace(k) == "" {
				v.add(fmt.Sprintf("%s.stop[%d]", p, j), k, nil, "is empty")
			}
		}
		for j, k := range w.Start {
			if strings.TrimSpace(k) == "" {
				v.add(fmt.Sprintf("%s.start[%d]", p, j), k, nil, "is empty")
			}
		}
	}
	for i, pur := range c.Consent.StopPurposes {
		if !slices.Contains([]string{"marketing", "utility", "authentication", "service"}, pur) {
			v.add(fmt.Sprintf("consent.stop_purposes[%d]", i), pur, nil, "must be one of marketing, utility, authentication, service; got %q", pur)
		}
	}
	for i, cp := range c.Guard.Caps {
		p := fmt.Sprintf("guard.caps[%d]", i)
		if cp.Max < 1 {
			v.add(p+".max", cp.Max, ErrRequired, "must be at least 1; got %d", cp.Max)
		}
		if cp.Period <= 0 {
			v.add(p+".period", cp.Period, ErrRequired, "must be > 0, e.g. 24h; got %s", formatDuration(cp.Period))
		}
	}
	if q := c.Guard.QuietHours; q.Enabled && q.Start == q.End && q.Start != "" {
		v.add("guard.quiet_hours.end", q.End, nil, "equals start (%s): quiet hours would be empty or the whole day", q.Start)
	}
	names := map[string]bool{}
	for _, f := range c.Flows {
		names[f.Name] = true
	}
	known := KnownTemplates(c.Templates)
	for i, f := range c.Flows {
		p := fmt.Sprintf("flows[%d]", i)
		for j, cond := range f.On.Conditions {
			v.condition(fmt.Sprintf("%s.on.conditions[%d]", p, j), cond)
		}
		if f.Interactive != nil {
			v.interactive(p+".interactive", f.Interactive, names)
		}
		if w := f.WhenClosed; w != nil {
			if f.Template != nil {
				v.add(p+".when_closed", nil, nil, "a template may be sent whatever the window; when_closed is for text and interactive messages")
			}
			if w.Template != nil {
				v.flowTemplate(p+".when_closed.template", w.Template, known)
			}
			if w.Action.Name != "" {
				v.flowAction(p+".when_closed.action", w.Action, c)
			}
		}
		for j, tag := range f.Tags {
			if strings.TrimSpace(tag) == "" {
				v.add(fmt.Sprintf("%s.tags[%d]", p, j), tag, nil, "is empty")
			}
		}
	}
}

// condition checks that a condition's operator has the value it needs.
func (v *validator) condition(p string, c Condition) {
	switch c.Op {
	case "in", "not_in":
		if len(c.Values) == 0 {
			v.add(p+".values", c.Values, ErrRequired, "op %s needs values", c.Op)
		}
	case "exists", "missing":
		if c.Value != "" || len(c.Values) > 0 {
			v.add(p+".value", c.Value, nil, "op %s takes no value", c.Op)
		}
	case "matches":
		if _, err := regexp.Compile(c.Value); err != nil {
			v.add(p+".value", c.Value, nil, "not a regular expression: %v", err)
		}
	case "gt", "gte", "lt", "lte":
		if _, err := strconv.ParseFloat(c.Value, 64); err != nil {
			v.add(p+".value", c.Value, nil, "op %s needs a number; got %q", c.Op, c.Value)
		}
	case "eq", "ne", "contains":
		if len(c.Values) > 0 {
			v.add(p+".values", c.Values, nil, "op %s takes value, not values", c.Op)
		}
	}
}

// interactive checks a menu against WhatsApp's limits (PROTOCOL §1.2) and
// that each option's next step is a flow.
func (v *validator) interactive(p string, in *Interactive, flows map[string]bool) {
	max, titleMax := 3, 20
	if in.Type == "list" {
		max, titleMax = 10, 24
	}
	switch {
	case len(in.Options) == 0:
		v.add(p+".options", in.Options, ErrRequired, "list at least one option")
	case len(in.Options) > max:
		v.add(p+".options", len(in.Options), nil, "a %s message takes at most %d options; got %d", in.Type, max, len(in.Options))
	}
	if in.Type == "button" && in.Button != "" {
		v.add(p+".button", in.Button, nil, "button is the label of a list's menu; reply buttons have none")
	}
	ids := map[string]int{}
	for i, o := range in.Options {
		op := fmt.Sprintf("%s.options[%d]", p, i)
		if j, dup := ids[o.ID]; dup && o.ID != "" {
			v.add(op+".id", o.ID, nil, "duplicate option id %q (also options[%d])", o.ID, j)
		}
		ids[o.ID] = i
		if n := utf8.RuneCountInString(o.Title); n > titleMax {
			v.add(op+".title", o.Title, nil, "at most %d characters in a %s; got %d", titleMax, in.Type, n)
		}
		if in.Type == "button" && (o.Description != "" || o.Section != "") {
			v.add(op, nil, nil, "description and section are for list rows")
		}
		if utf8.RuneCountInString(o.Description) > 72 {
			v.add(op+".description", o.Description, nil, "at most 72 characters")
		}
		if o.Next != "" && !flows[o.Next] {
			v.add(op+".next", o.Next, nil, "unknown flow %q", o.Next)
		}
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(in.Body, -1) {
		if !eventPathRE.MatchString(m[1]) {
			v.add(p+".body", in.Body, nil, "placeholder %s is not an event path", m[0])
		}
	}
}

// checkTimeZone returns why s is not an IANA time zone, or "".
func checkTimeZone(s string) string {
	if _, err := time.LoadLocation(s); err != nil {
		return "is not an IANA time zone such as America/Sao_Paulo"
	}
	return ""
}
