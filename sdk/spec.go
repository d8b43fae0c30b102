package sdk

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	fieldPattern   = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)
	versionPattern = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.-]+)?$`)
	secretWords    = []string{"secret", "token", "password", "api_key", "apikey", "private_key"}
)

// Validate reports every problem with a spec at once, each with its path:
// a missing or malformed name or version, undocumented or duplicate fields
// and actions, and fields whose names say they hold a secret but that are not
// marked Secret.
func (s Spec) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("spec.%s: "+format, append([]any{path}, args...)...))
	}
	if !namePattern.MatchString(s.Name) {
		bad("name", "%q is not a connector name (lower-case letters, digits, '-' and '_')", s.Name)
	}
	if !versionPattern.MatchString(s.Version) {
		bad("version", "%q is not a semver-like version such as 1.2.0", s.Version)
	}
	if strings.TrimSpace(s.Description) == "" {
		bad("description", "is empty")
	}
	checkFields := func(path string, fields []Field) {
		seen := map[string]bool{}
		for i, f := range fields {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case !fieldPattern.MatchString(f.Name):
				bad(p+".name", "%q is not a field name (lower-case snake_case)", f.Name)
			case seen[f.Name]:
				bad(p+".name", "duplicate field %q", f.Name)
			}
			seen[f.Name] = true
			if strings.TrimSpace(f.Description) == "" {
				bad(p+".description", "field %q is undocumented", f.Name)
			}
			if !f.Secret && looksSecret(f.Name) {
				bad(p+".secret", "field %q looks like a secret but is not marked Secret", f.Name)
			}
			if f.Secret && f.Default != "" {
				bad(p+".default", "secret field %q must not have a default", f.Name)
			}
		}
	}
	checkFields("config", s.Config)
	seen := map[string]bool{}
	for i, a := range s.Actions {
		p := fmt.Sprintf("actions[%d]", i)
		switch {
		case !namePattern.MatchString(a.Name):
			bad(p+".name", "%q is not an action name (lower-case letters, digits, '-' and '_')", a.Name)
		case seen[a.Name]:
			bad(p+".name", "duplicate action %q", a.Name)
		}
		seen[a.Name] = true
		if strings.TrimSpace(a.Description) == "" {
			bad(p+".description", "action %q is undocumented", a.Name)
		}
		checkFields(p+".input", a.Input)
	}
	return errors.Join(errs...)
}

func looksSecret(name string) bool {
	n := strings.ToLower(name)
	return slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(n, w) })
}

// ParseConfig checks config values against the spec and applies defaults.
// It reports every problem at once, each a *ConfigError naming the field:
// a required field that is missing and a key the spec does not declare.
// The SDK calls it before Configure, and the host before starting a plugin.
func (s Spec) ParseConfig(values map[string]string) (Config, error) {
	var errs []error
	cfg := Config{}
	known := make(map[string]bool, len(s.Config))
	for _, f := range s.Config {
		known[f.Name] = true
		v := values[f.Name]
		if v == "" {
			v = f.Default
		}
		if v == "" {
			if f.Required {
				errs = append(errs, &ConfigError{Field: f.Name, Problem: "is required: " + f.Description})
			}
			continue
		}
		cfg[f.Name] = v
	}
	var unknown []string
	for k := range values {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		errs = append(errs, &ConfigError{Field: k, Problem: "unknown field; this connector takes " + s.fieldNames()})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (s Spec) fieldNames() string {
	if len(s.Config) == 0 {
		return "no config"
	}
	names := make([]string, len(s.Config))
	for i, f := range s.Config {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// CheckAction reports whether req names an action of the spec and carries
// its required inputs; the error wraps ErrBadRequest. The SDK calls it before
// Actor.Do, so Do never sees an undeclared action or a missing required
// input.
func (s Spec) CheckAction(req ActionRequest) error {
	i := slices.IndexFunc(s.Actions, func(a ActionSpec) bool { return a.Name == req.Action })
	if i < 0 {
		return fmt.Errorf("%w: unknown action %q", ErrBadRequest, req.Action)
	}
	var errs []error
	for _, f := range s.Actions[i].Input {
		if v, ok := req.Input[f.Name]; f.Required && (!ok || v == nil || v == "") {
			errs = append(errs, fmt.Errorf("%w: action %q: input %q is required", ErrBadRequest, req.Action, f.Name))
		}
	}
	return errors.Join(errs...)
}
