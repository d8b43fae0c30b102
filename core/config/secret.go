package config

// Redacted replaces a non-empty secret wherever it would be shown.
const Redacted = "[redacted]"

// Secret is a configuration string that must not be shown: a token, a password,
// a raw API key. It prints as [Redacted] (or "" when empty) with fmt, slog, JSON
// and text encoders; call [Secret.Reveal] where the real value is needed.
type Secret string

// Reveal returns the secret's value. Call it only where the value is used, never
// to log it.
func (s Secret) Reveal() string { return string(s) }

// String returns [Redacted], or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString redacts %#v too.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText redacts the secret in JSON, YAML and other text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
