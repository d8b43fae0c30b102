package templates

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/whatsapp"
)

// ParamError says which parameter of which template does not fit, and why.
type ParamError struct {
	Template string
	Language string
	Param    string // the parameter's name, or its position ("2")
	Msg      string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("template %q (%s): %s", e.Template, e.Language, e.Msg)
	}
	return fmt.Sprintf("template %q (%s): parameter %s: %s", e.Template, e.Language, e.Param, e.Msg)
}

// Unwrap returns ErrParams.
func (e *ParamError) Unwrap() error { return ErrParams }

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// schema returns the variant's parameters: the configured schema, or one
// text parameter per placeholder of the body. ok is false for a variant
// known only from the platform, whose parameters Parley cannot check.
func (v Variant) schema() (params []config.TemplateParam, ok bool) {
	if len(v.Params) > 0 {
		return v.Params, true
	}
	if !v.Configured {
		return nil, false
	}
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(v.Body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			params = append(params, config.TemplateParam{Name: m[1], Type: "text"})
		}
	}
	if !v.Named {
		// Positional placeholders may repeat or come out of order; the
		// count is the highest index.
		n := 0
		for name := range seen {
			if i, err := strconv.Atoi(name); err == nil {
				n = max(n, i)
			}
		}
		params = params[:0]
		for i := 1; i <= n; i++ {
			params = append(params, config.TemplateParam{Name: strconv.Itoa(i), Type: "text"})
		}
	}
	return params, true
}

// Build fills the variant with values, one per parameter in schema order,
// each formatted in the variant's language as its type says. The error is
// a *ParamError.
func (v Variant) Build(values []string) (*whatsapp.Template, error) {
	params, ok := v.schema()
	if !ok {
		params = make([]config.TemplateParam, len(values))
		for i := range params {
			params[i] = config.TemplateParam{Name: strconv.Itoa(i + 1), Type: "text"}
		}
	}
	if len(values) != len(params) {
		return nil, &ParamError{Template: v.Name, Language: v.Language, Msg: fmt.Sprintf("takes %d parameters, got %d", len(params), len(values))}
	}
	f := NewFormatter(v.Language)
	out := make([]whatsapp.TemplateParameter, 0, len(values))
	for i, p := range params {
		tp, err := buildParam(f, p, values[i])
		if err != nil {
			return nil, &ParamError{Template: v.Name, Language: v.Language, Param: paramName(p, i), Msg: err.Error()}
		}
		if v.Named {
			tp.ParameterName = p.Name
		}
		out = append(out, tp)
	}
	t := &whatsapp.Template{Name: v.Name, Language: whatsapp.TemplateLanguage{Code: v.Language}}
	if len(out) > 0 {
		t.Components = []whatsapp.TemplateComponent{{Type: "body", Parameters: out}}
	}
	if err := v.Check(t); err != nil {
		return nil, err
	}
	return t, nil
}

func paramName(p config.TemplateParam, i int) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(i + 1)
}

func buildParam(f *Formatter, p config.TemplateParam, raw string) (whatsapp.TemplateParameter, error) {
	switch p.Type {
	case "number":
		n, err := ParseNumber(raw)
		if err != nil {
			return whatsapp.TemplateParameter{}, err
		}
		return whatsapp.TemplateParameter{Type: "text", Text: f.Number(n)}, nil
	case "currency":
		n, err := ParseNumber(raw)
		if err != nil {
			return whatsapp.TemplateParameter{}, err
		}
		s, err := f.Currency(n, p.Currency)
		if err != nil {
			return whatsapp.TemplateParameter{}, err
		}
		return whatsapp.TemplateParameter{Type: "currency", Currency: &whatsapp.Currency{FallbackValue: s, Code: p.Currency, Amount1000: int64(math.Round(n * 1000))}}, nil
	case "date":
		d, err := ParseDate(raw)
		if err != nil {
			return whatsapp.TemplateParameter{}, err
		}
		return whatsapp.TemplateParameter{Type: "text", Text: f.Date(d)}, nil
	case "date_time":
		d, err := ParseDate(raw)
		if err != nil {
			return whatsapp.TemplateParameter{}, err
		}
		return whatsapp.TemplateParameter{Type: "date_time", DateTime: &whatsapp.DateTime{FallbackValue: f.Date(d)}}, nil
	default:
		return whatsapp.TemplateParameter{Type: "text", Text: raw}, nil
	}
}

// Check validates a template request against the variant before it is
// sent: the variant is approved (or not reported on), and the body's
// parameters fit the schema in count, names and types, none empty or
// longer than allowed. The error wraps ErrNotApproved or is a *ParamError.
// A variant known only from the platform is checked for approval only.
func (v Variant) Check(t *whatsapp.Template) error {
	if !v.Sendable() {
		return fmt.Errorf("%w: template %q (%s) is %s", ErrNotApproved, v.Name, v.Language, v.Status)
	}
	params, ok := v.schema()
	if !ok {
		return nil
	}
	var body []whatsapp.TemplateParameter
	for _, c := range t.Components {
		if c.Type == "body" {
			body = append(body, c.Parameters...)
		}
	}
	perr := func(param, format string, args ...any) error {
		return &ParamError{Template: v.Name, Language: v.Language, Param: param, Msg: fmt.Sprintf(format, args...)}
	}
	if len(body) != len(params) {
		return perr("", "takes %d body parameters, got %d", len(params), len(body))
	}
	for i, got := range body {
		p := params[i]
		if v.Named {
			j := -1
			for k, q := range params {
				if q.Name == got.ParameterName {
					j = k
				}
			}
			if j < 0 {
				return perr(got.ParameterName, "not a parameter of the template")
			}
			p = params[j]
		} else if got.ParameterName != "" {
			return perr(strconv.Itoa(i+1), "the template is positional; parameter_name %q is not allowed", got.ParameterName)
		}
		name := paramName(p, i)
		want := "text"
		switch p.Type {
		case "currency":
			want = "currency"
		case "date_time":
			want = "date_time"
		}
		if got.Type != want {
			return perr(name, "want a %s parameter, got %s", want, got.Type)
		}
		switch want {
		case "text":
			if got.Text == "" {
				return perr(name, "is empty")
			}
			if n := utf8.RuneCountInString(got.Text); p.MaxLen > 0 && n > p.MaxLen {
				return perr(name, "is %d characters, at most %d allowed", n, p.MaxLen)
			}
		case "currency":
			if got.Currency == nil || got.Currency.FallbackValue == "" || got.Currency.Code == "" {
				return perr(name, "currency needs fallback_value, code and amount_1000")
			}
		case "date_time":
			if got.DateTime == nil || got.DateTime.FallbackValue == "" {
				return perr(name, "date_time needs fallback_value")
			}
		}
	}
	return nil
}
