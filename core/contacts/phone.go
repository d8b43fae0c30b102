package contacts

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadPhone means a value is not an E.164 phone number.
var ErrBadPhone = errors.New("not an E.164 phone number")

// NormalizePhone returns a phone number as "+" and digits, accepting the
// spaces, hyphens, dots and parentheses people write. A number without a
// leading "+" (or "00") and country code is refused, never guessed.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("%w: no leading + and country code", ErrBadPhone)
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", fmt.Errorf("%w: unexpected %q", ErrBadPhone, c)
		}
	}
	n := b.Len() - 1
	if n < 8 || n > 15 || b.String()[1] == '0' {
		return "", fmt.Errorf("%w: want 8 to 15 digits after + starting with a country code", ErrBadPhone)
	}
	return b.String(), nil
}
