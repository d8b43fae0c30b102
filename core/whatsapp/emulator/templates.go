package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/parley-hub/parley/core/whatsapp"
)

// Template statuses (PROTOCOL §5). Only APPROVED templates can be sent.
const (
	TemplateApproved        = "APPROVED"
	TemplatePending         = "PENDING"
	TemplateRejected        = "REJECTED"
	TemplatePaused          = "PAUSED"
	TemplateDisabled        = "DISABLED"
	TemplateInAppeal        = "IN_APPEAL"
	TemplatePendingDeletion = "PENDING_DELETION"
	TemplateDeleted         = "DELETED"
	TemplateLimitExceeded   = "LIMIT_EXCEEDED"
	TemplateArchived        = "ARCHIVED"
)

var templateStatuses = []string{
	TemplateApproved, TemplatePending, TemplateRejected, TemplatePaused, TemplateDisabled,
	TemplateInAppeal, TemplatePendingDeletion, TemplateDeleted, TemplateLimitExceeded, TemplateArchived,
}

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	placeholderRE  = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	namedParamRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	positionalRE   = regexp.MustCompile(`^[1-9][0-9]*$`)
)

// Parameter formats of a template.
const (
	formatPositional = "POSITIONAL"
	formatNamed      = "NAMED"
)

// bodyMax is the most characters of a hydrated template body (132005).
const bodyMax = 1024

// template is a message template: one name in one language.
type template struct {
	seq          uint64
	id           string
	name         string
	language     string
	category     string // MARKETING, UTILITY or AUTHENTICATION
	status       string
	reason       string // rejection reason
	format       string // formatPositional or formatNamed
	headerFormat string // "", TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION
	headerParams []string
	bodyText     string
	bodyParams   []string // placeholder names: "1".."n" or named
	buttons      []templateButton
	components   []json.RawMessage
}

type templateButton struct {
	typ      string
	required bool // takes exactly one parameter
}

func helloWorld() TemplateSeed {
	return TemplateSeed{
		ID: "1192339204654487", Name: "hello_world", Language: "en_US", Category: "UTILITY",
		Header: "Hello World",
		Body: "Welcome and congratulations!! This message demonstrates your ability to send a message notification " +
			"from WhatsApp Business Platform’s Cloud API. Thank you for taking the time to test with us.",
		Footer: "WhatsApp Business API Team",
	}
}

// template builds the template a seed describes.
func (s TemplateSeed) template() (*template, error) {
	var p []string
	if !templateNameRE.MatchString(s.Name) {
		p = append(p, "name: want 1-512 of [a-z0-9_]")
	}
	if s.Language == "" {
		p = append(p, "language: required")
	}
	if s.ID != "" && !digitsRE.MatchString(s.ID) {
		p = append(p, "id: want digits")
	}
	cat := strings.ToUpper(s.Category)
	if cat == "" {
		cat = "UTILITY"
	}
	status := strings.ToUpper(s.Status)
	if status == "" {
		status = TemplateApproved
	}
	if !slices.Contains(templateStatuses, status) {
		p = append(p, fmt.Sprintf("status: unknown %q", s.Status))
	}
	hf := strings.ToUpper(s.HeaderFormat)
	if hf == "" && s.Header != "" {
		hf = "TEXT"
	}
	var comps []map[string]any
	if hf != "" {
		c := map[string]any{"type": "HEADER", "format": hf}
		if hf == "TEXT" {
			c["text"] = s.Header
		}
		comps = append(comps, c)
	}
	if s.Body != "" {
		comps = append(comps, map[string]any{"type": "BODY", "text": s.Body})
	}
	if s.Footer != "" {
		comps = append(comps, map[string]any{"type": "FOOTER", "text": s.Footer})
	}
	if len(s.Buttons) > 0 {
		comps = append(comps, map[string]any{"type": "BUTTONS", "buttons": s.Buttons})
	}
	raws := make([]json.RawMessage, len(comps))
	for i, c := range comps {
		raws[i], _ = json.Marshal(c)
	}
	t, err := buildTemplate(s.Name, s.Language, cat, "", raws)
	if err != nil {
		p = append(p, err.Error())
	}
	if len(p) > 0 {
		return nil, errors.New(strings.Join(p, "; "))
	}
	t.id, t.status = s.ID, status
	return t, nil
}

// component is a template component as created (and listed).
type component struct {
	Type                      string            `json:"type"`
	Format                    string            `json:"format,omitempty"`
	Text                      string            `json:"text,omitempty"`
	AddSecurityRecommendation bool              `json:"add_security_recommendation,omitempty"`
	CodeExpirationMinutes     int               `json:"code_expiration_minutes,omitempty"`
	Buttons                   []json.RawMessage `json:"buttons,omitempty"`
}

type buttonSpec struct {
	Type    string `json:"type"`
	Text    string `json:"text"`
	URL     string `json:"url"`
	OTPType string `json:"otp_type"`
}

// buildTemplate parses components into a template. format is "named",
// "positional" or "" (decided by the placeholders). Components are stored
// with upper-case types, as Graph returns them.
func buildTemplate(name, language, category, format string, raws []json.RawMessage) (*template, error) {
	switch category {
	case "MARKETING", "UTILITY", "AUTHENTICATION":
	default:
		return nil, fmt.Errorf("category: want MARKETING, UTILITY or AUTHENTICATION, got %q", category)
	}
	t := &template{name: name, language: language, category: category}
	var names []string // every placeholder, to decide the format
	seen := map[string]bool{}
	for i, raw := range raws {
		var c component
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("components[%d]: %w", i, err)
		}
		typ := strings.ToUpper(c.Type)
		if seen[typ] {
			return nil, fmt.Errorf("components[%d]: more than one %s", i, typ)
		}
		seen[typ] = true
		switch typ {
		case "HEADER":
			t.headerFormat = strings.ToUpper(c.Format)
			switch t.headerFormat {
			case "TEXT":
				t.headerParams = placeholders(c.Text)
				names = append(names, t.headerParams...)
				if len(t.headerParams) > 1 {
					return nil, fmt.Errorf("components[%d]: a text header takes at most one parameter", i)
				}
			case "IMAGE", "VIDEO", "DOCUMENT", "LOCATION":
			default:
				return nil, fmt.Errorf("components[%d].format: want TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION, got %q", i, c.Format)
			}
		case "BODY":
			t.bodyText = c.Text
			if t.bodyText == "" && category == "AUTHENTICATION" {
				t.bodyText = "*{{1}}* is your verification code."
				if c.AddSecurityRecommendation {
					t.bodyText += " For your security, do not share this code."
				}
			}
			if t.bodyText == "" {
				return nil, fmt.Errorf("components[%d].text: required", i)
			}
			if utf8.RuneCountInString(t.bodyText) > bodyMax {
				return nil, fmt.Errorf("components[%d].text: longer than %d characters", i, bodyMax)
			}
			t.bodyParams = placeholders(t.bodyText)
			names = append(names, t.bodyParams...)
		case "FOOTER":
		case "BUTTONS":
			for j, rb := range c.Buttons {
				var b buttonSpec
				if err := json.Unmarshal(rb, &b); err != nil {
					return nil, fmt.Errorf("components[%d].buttons[%d]: %w", i, j, err)
				}
				bt := templateButton{typ: strings.ToUpper(b.Type)}
				switch bt.typ {
				case "URL":
					bt.required = len(placeholders(b.URL)) > 0
				case "OTP", "COPY_CODE":
					bt.required = true
				case "QUICK_REPLY", "PHONE_NUMBER", "FLOW", "CATALOG", "MPM", "VOICE_CALL", "SPM":
				default:
					return nil, fmt.Errorf("components[%d].buttons[%d].type: unknown %q", i, j, b.Type)
				}
				t.buttons = append(t.buttons, bt)
			}
		default:
			return nil, fmt.Errorf("components[%d].type: want HEADER, BODY, FOOTER or BUTTONS, got %q", i, c.Type)
		}
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["type"] = typ
		norm, _ := json.Marshal(m)
		t.components = append(t.components, norm)
	}
	if !seen["BODY"] {
		return nil, errors.New("components: a BODY is required")
	}
	positional, named := 0, 0
	for _, n := range names {
		switch {
		case positionalRE.MatchString(n):
			positional++
		case namedParamRE.MatchString(n):
			named++
		default:
			return nil, fmt.Errorf("placeholder {{%s}}: want {{1}}..{{n}} or {{lower_snake_case}}", n)
		}
	}
	switch {
	case positional > 0 && named > 0:
		return nil, errors.New("placeholders: positional and named parameters are mixed")
	case named > 0:
		t.format = formatNamed
	default:
		t.format = formatPositional
	}
	if f := strings.ToUpper(format); f != "" && f != t.format && len(names) > 0 {
		return nil, fmt.Errorf("parameter_format: %s, but the placeholders are %s", format, strings.ToLower(t.format))
	} else if f == formatNamed || f == formatPositional {
		t.format = f
	}
	if t.format == formatPositional {
		for k, n := range t.bodyParams {
			if n != strconv.Itoa(k+1) {
				return nil, fmt.Errorf("body: positional placeholders must be {{1}}..{{%d}} in order", len(t.bodyParams))
			}
		}
	}
	return t, nil
}

// placeholders returns the distinct placeholder names of s, in order.
func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// check validates a template send against the template (PROTOCOL §1.3):
// status, then the parameters of each component.
func (t *template) check(req *whatsapp.Template) *apiError {
	switch t.status {
	case TemplateApproved:
	case TemplatePaused:
		return errorf(132015, "template %s (%s) is paused", t.name, t.language)
	case TemplateDisabled:
		return errorf(132016, "template %s (%s) is disabled", t.name, t.language)
	default:
		return errorf(132001, "template name (%s) does not exist in %s or is not approved (status %s)", t.name, t.language, t.status)
	}
	var header, body *whatsapp.TemplateComponent
	buttons := map[int]*whatsapp.TemplateComponent{}
	for i := range req.Components {
		c := &req.Components[i]
		switch strings.ToLower(c.Type) {
		case "header":
			if header != nil {
				return errorf(131009, "template: more than one header component")
			}
			header = c
		case "body":
			if body != nil {
				return errorf(131009, "template: more than one body component")
			}
			body = c
		case "button":
			idx, err := strconv.Atoi(string(c.Index))
			if err != nil || idx < 0 {
				return errorf(131009, "template: button index %q is not a number", string(c.Index))
			}
			if idx >= len(t.buttons) {
				return errorf(132000, "button at index %d: the template has %d buttons", idx, len(t.buttons))
			}
			if buttons[idx] != nil {
				return errorf(131009, "template: two components for button %d", idx)
			}
			buttons[idx] = c
		case "carousel", "limited_time_offer":
		default:
			return errorf(131009, "template: unknown component type %q", c.Type)
		}
	}
	if err := t.checkHeader(header); err != nil {
		return err
	}
	if err := t.checkBody(body); err != nil {
		return err
	}
	for i, b := range t.buttons {
		c := buttons[i]
		n := 0
		if c != nil {
			n = len(c.Parameters)
		}
		if n > 1 || (b.required && n != 1) {
			return errorf(132000, "button at index %d (%s): expected %d parameters, received %d", i, b.typ, boolInt(b.required), n)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t *template) checkHeader(c *whatsapp.TemplateComponent) *apiError {
	var got []whatsapp.TemplateParameter
	if c != nil {
		got = c.Parameters
	}
	switch t.headerFormat {
	case "", "TEXT":
		if len(got) != len(t.headerParams) {
			return errorf(132000, "header: number of localizable_params (%d) does not match the expected number of params (%d)", len(got), len(t.headerParams))
		}
		return t.checkNames("header", got, t.headerParams)
	default:
		if len(got) != 1 {
			return errorf(132000, "header: number of parameters (%d) does not match the expected number of params (1)", len(got))
		}
		want := strings.ToLower(t.headerFormat)
		p := got[0]
		if p.Type != want {
			return errorf(132012, "header: Format mismatch, expected %s, received %s", t.headerFormat, strings.ToUpper(p.Type))
		}
		if want != "location" {
			m := map[string]*whatsapp.Media{"image": p.Image, "video": p.Video, "document": p.Document}[want]
			if m == nil {
				return errorf(131008, "header: parameter %s is required", want)
			}
			if (m.ID == "") == (m.Link == "") {
				return errorf(131009, "header: %s needs exactly one of id and link", want)
			}
		} else if p.Location == nil {
			return errorf(131008, "header: parameter location is required")
		}
	}
	return nil
}

func (t *template) checkBody(c *whatsapp.TemplateComponent) *apiError {
	var got []whatsapp.TemplateParameter
	if c != nil {
		got = c.Parameters
	}
	if len(got) != len(t.bodyParams) {
		return errorf(132000, "body: number of localizable_params (%d) does not match the expected number of params (%d)", len(got), len(t.bodyParams))
	}
	for _, p := range got {
		switch p.Type {
		case "text", "currency", "date_time":
		default:
			return errorf(132012, "body: Format mismatch, expected TEXT, received %s", strings.ToUpper(p.Type))
		}
	}
	if err := t.checkNames("body", got, t.bodyParams); err != nil {
		return err
	}
	if len(got) == 0 {
		return nil // the template's own text is within bodyMax
	}
	// Hydrate to check the length (132005).
	values := map[string]string{}
	for i, p := range got {
		key := strconv.Itoa(i + 1)
		if t.format == formatNamed {
			key = p.ParameterName
		}
		values[key] = paramText(p)
	}
	text := placeholderRE.ReplaceAllStringFunc(t.bodyText, func(m string) string {
		return values[placeholderRE.FindStringSubmatch(m)[1]]
	})
	if n := utf8.RuneCountInString(text); n > bodyMax {
		return errorf(132005, "body: hydrated text is %d characters, more than %d", n, bodyMax)
	}
	return nil
}

// checkNames checks named versus positional parameters (132012) and, for
// named ones, that the names are the template's (132000).
func (t *template) checkNames(where string, got []whatsapp.TemplateParameter, want []string) *apiError {
	for _, p := range got {
		if t.format == formatNamed && p.ParameterName == "" {
			return errorf(132012, "%s: the template uses named parameters; parameter_name is required", where)
		}
		if t.format == formatPositional && p.ParameterName != "" {
			return errorf(132012, "%s: the template uses positional parameters; parameter_name %q is not expected", where, p.ParameterName)
		}
	}
	if t.format == formatNamed {
		for _, p := range got {
			if !slices.Contains(want, p.ParameterName) {
				return errorf(132000, "%s: parameter %q is not in the template (expected %s)", where, p.ParameterName, strings.Join(want, ", "))
			}
		}
	}
	return nil
}

func paramText(p whatsapp.TemplateParameter) string {
	switch {
	case p.Currency != nil:
		return p.Currency.FallbackValue
	case p.DateTime != nil:
		return p.DateTime.FallbackValue
	}
	return p.Text
}

// templateStore holds the templates. Sends read it under a read lock.
type templateStore struct {
	mu    sync.RWMutex
	seq   uint64
	byKey map[string]*template // name + "\x00" + language
	byID  map[string]*template
}

func newTemplateStore() *templateStore {
	return &templateStore{byKey: map[string]*template{}, byID: map[string]*template{}}
}

func tkey(name, language string) string { return name + "\x00" + language }

func (s *templateStore) reset() {
	s.mu.Lock()
	s.byKey, s.byID = map[string]*template{}, map[string]*template{}
	s.mu.Unlock()
}

func (s *templateStore) add(t *template) {
	s.mu.Lock()
	s.addLocked(t)
	s.mu.Unlock()
}

func (s *templateStore) addLocked(t *template) {
	s.seq++
	t.seq = s.seq
	s.byKey[tkey(t.name, t.language)] = t
	s.byID[t.id] = t
}

// check finds the template of a send and validates the send against it,
// returning the template's category.
func (s *templateStore) check(req *whatsapp.Template) (string, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.byKey[tkey(req.Name, req.Language.Code)]
	if t == nil || t.status == TemplateDeleted {
		return "", errorf(132001, "template name (%s) does not exist in %s", req.Name, req.Language.Code)
	}
	if err := t.check(req); err != nil {
		return "", err
	}
	return t.category, nil
}

// list returns the templates in creation order.
func (s *templateStore) list() []*template {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*template, 0, len(s.byKey))
	for _, t := range s.byKey {
		if t.status != TemplateDeleted {
			c := *t
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *template) int { return cmpU(a.seq, b.seq) })
	return out
}
