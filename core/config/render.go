package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// exampleHeader opens the documented example config.
const exampleHeader = `# Parley configuration: every key with its default value and what it means.
#
# Generated from the schema in core/config (ExampleYAML); do not edit by hand.
# Regenerate with: go test ./core/config -run TestExampleYAML -update
#
# Precedence: built-in defaults, then this file, then environment variables.
# An environment variable is PARLEY_ and the key path in upper case, with "__"
# between levels: whatsapp.access_token is PARLEY_WHATSAPP__ACCESS_TOKEN.
# Lists (api.keys, templates, flows) are set only in this file.
# PARLEY_API_KEY adds one raw API key (hashed in memory, never written down);
# PARLEY_CONFIG names this file when no other is given.
# Unknown keys, in this file or as PARLEY_* variables, are errors.
#
# Without a config file Parley runs in sandbox mode with the demo template and
# flow below; with one, templates and flows come only from the file.
`

// ExampleYAML returns a config file that sets every key to its default and
// documents each one with its description, constraints and environment variable.
// It is Default rendered with comments; configs/parley.example.yaml holds it.
func ExampleYAML() []byte {
	r := renderer{docs: true}
	r.lines = strings.Split(strings.TrimSuffix(exampleHeader, "\n"), "\n")
	r.lines = append(r.lines, "")
	r.fields(0, valueOf(Default()), "", false, true)
	return r.bytes()
}

// Dump returns the configuration as YAML, every key in schema order, with
// secrets shown as [Redacted]. The raw PARLEY_API_KEY is never included.
func (c *Config) Dump() []byte {
	r := renderer{}
	r.line("# Effective Parley configuration; secrets are shown as " + Redacted + ".")
	if c.APIKeyFromEnv != "" {
		r.line("# " + EnvAPIKey + " is set: one more API key is accepted.")
	}
	r.fields(0, valueOf(c), "", false, false)
	return r.bytes()
}

// renderer writes structs as YAML lines in schema order.
type renderer struct {
	lines  []string
	docs   bool
	margin int // columns taken by a prefix added later, e.g. "#   "
}

func (r *renderer) line(s string) { r.lines = append(r.lines, s) }

func (r *renderer) bytes() []byte { return []byte(strings.Join(r.lines, "\n") + "\n") }

// fields renders the fields of struct rv at indent. path is the key path of rv;
// inList means rv is a list item, so its keys have no environment variable.
// docs writes each field's description above it.
func (r *renderer) fields(indent int, rv reflect.Value, path string, inList, docs bool) {
	pad := strings.Repeat(" ", indent)
	for i, f := range fieldsOf(rv.Type()) {
		fv := rv.Field(f.index)
		p := join(path, f.key)
		k := kindOf(f.typ)
		if k == kindPtrStruct && fv.IsNil() {
			continue
		}
		if docs {
			if i > 0 {
				r.line("")
			}
			r.comment(pad, f.desc)
			r.comment(pad, facts(&f, p, inList, fv))
		}
		switch k {
		case kindStruct:
			r.line(pad + f.key + ":")
			r.fields(indent+2, fv, p, inList, docs)
		case kindPtrStruct:
			r.line(pad + f.key + ":")
			r.fields(indent+2, fv.Elem(), p, inList, docs)
		case kindStructList:
			if fv.Len() == 0 {
				if docs {
					r.exampleItem(pad, &f, p)
				}
				r.line(pad + f.key + ": []")
				continue
			}
			r.line(pad + f.key + ":")
			for j := range fv.Len() {
				if docs && j > 0 {
					r.line("")
				}
				r.item(indent+2, fv.Index(j), fmt.Sprintf("%s[%d]", p, j), docs && j == 0)
			}
		case kindScalarList:
			items := make([]string, fv.Len())
			for j := range items {
				items[j] = scalarText(fv.Index(j), f.secret)
			}
			r.line(pad + f.key + ": [" + strings.Join(items, ", ") + "]")
		case kindMap:
			r.mapLines(pad, f.key, fv, !docs)
		default:
			r.line(pad + f.key + ": " + scalarText(fv, f.secret))
		}
	}
}

// item renders one list item: "- " at indent, its keys at indent+2.
func (r *renderer) item(indent int, rv reflect.Value, path string, docs bool) {
	sub := renderer{margin: r.margin}
	sub.fields(indent+2, rv, path, true, docs)
	sub.lines[0] = strings.Repeat(" ", indent) + "- " + sub.lines[0][indent+2:]
	r.lines = append(r.lines, sub.lines...)
}

// exampleItem writes, as comments, an example item for an empty list, built
// from the example tags of the item's fields.
func (r *renderer) exampleItem(pad string, f *field, path string) {
	elem := reflect.New(f.typ.Elem()).Elem()
	applyDefaults(elem)
	applyExamples(elem)
	sub := renderer{margin: len(pad) + 4}
	sub.line(f.key + ":")
	sub.item(2, elem, path+"[0]", true)
	r.line(pad + "# Example:")
	for _, l := range sub.lines {
		r.line(strings.TrimRight(pad+"#   "+l, " "))
	}
}

// applyExamples sets every field of struct v that has an example tag to it.
func applyExamples(v reflect.Value) {
	for _, f := range fieldsOf(v.Type()) {
		switch kindOf(f.typ) {
		case kindStruct:
			applyExamples(v.Field(f.index))
		case kindMap:
			if f.example != "" {
				applyMapExample(v.Field(f.index), &f)
			}
		case kindScalar:
			if f.example != "" {
				if err := setScalar(v.Field(f.index), f.example); err != nil {
					panic(fmt.Sprintf("config: example of %s: %v", f.key, err))
				}
			}
		case kindScalarList:
			if f.example != "" { // comma-separated items
				items := strings.Split(f.example, ",")
				list := reflect.MakeSlice(f.typ, len(items), len(items))
				for i, item := range items {
					if err := setScalar(list.Index(i), item); err != nil {
						panic(fmt.Sprintf("config: example of %s: %v", f.key, err))
					}
				}
				v.Field(f.index).Set(list)
			}
		}
	}
}

// comment writes text as "# " lines wrapped to 80 columns.
func (r *renderer) comment(pad, text string) {
	width := max(80-r.margin-len(pad)-2, 40)
	var cur string
	for w := range strings.FieldsSeq(text) {
		if cur != "" && len(cur)+1+len(w) > width {
			r.line(pad + "# " + cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		r.line(pad + "# " + cur)
	}
}

// facts summarises a field's tags in one sentence: required, allowed values,
// bounds, an example (unless v, the value shown, is the example), secrecy and
// its environment variable.
func facts(f *field, path string, inList bool, v reflect.Value) string {
	var parts []string
	switch {
	case f.required == "true":
		parts = append(parts, "required")
	case f.required != "":
		parts = append(parts, "required in "+f.required+" mode")
	}
	if f.enum != nil {
		parts = append(parts, "one of "+strings.Join(f.enum, ", "))
	}
	if f.pattern != nil {
		parts = append(parts, "matches "+f.pattern.String())
	}
	switch f.format {
	case "hostport":
		parts = append(parts, "host:port")
	case "url":
		parts = append(parts, "an absolute http(s) URL")
	case "timezone":
		parts = append(parts, "an IANA time zone")
	case "timestamp":
		parts = append(parts, "an RFC 3339 time")
	case "eventpath":
		if kindOf(f.typ) == kindScalarList {
			parts = append(parts, "event paths")
		} else {
			parts = append(parts, "an event path")
		}
	}
	if f.min != nil || f.max != nil {
		parts = append(parts, boundText(f))
	}
	if f.example != "" && (v.Kind() != reflect.String || v.String() != f.example) && (v.Kind() != reflect.Map || v.Len() == 0) && (v.Kind() != reflect.Slice || v.Len() == 0) {
		ex := f.example
		if f.typ.Kind() == reflect.String {
			ex = yamlString(ex)
		}
		parts = append(parts, "e.g. "+ex)
	}
	if f.secret {
		parts = append(parts, "secret: shown as "+Redacted+", best set in the environment")
	}
	if !inList && kindOf(f.typ) == kindScalar {
		parts = append(parts, "env "+EnvName(path))
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

var plainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./-]*$`)

// scalarText renders a scalar as YAML: plain when unambiguous, else quoted.
func scalarText(v reflect.Value, secret bool) string {
	if secret {
		return strconv.Quote(Secret(v.String()).String())
	}
	if v.Type() == durationType {
		return scalarOf(v).(string)
	}
	switch v.Kind() {
	case reflect.String:
		return yamlString(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
}

func yamlString(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return strconv.Quote(s)
	}
	if plainRE.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}
