package contacts

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phones normalizes phone numbers to E.164 with github.com/nyaruka/phonenumbers.
// The zero value accepts only numbers written with a country code ("+" or
// "00"). It is safe for concurrent use.
type Phones struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 country (e.g. "BR") of numbers
	// written without a country code. Empty refuses such numbers: a number
	// is never guessed.
	DefaultRegion string
}

// NormalizePhone returns s in E.164 ("+" and digits), accepting the spaces,
// hyphens, dots and parentheses people write. A number without a leading
// "+" (or "00") and country code is refused, never guessed; use
// Phones.Normalize to read national numbers in a configured region.
func NormalizePhone(s string) (string, error) { return Phones{}.Normalize(s) }

// Normalize returns s in E.164. It refuses letters (phonenumbers would
// read them as a keypad's digits), a national number when DefaultRegion is
// empty, and any number whose length is impossible for its country. The
// error wraps ErrBadPhone.
func (p Phones) Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "00"); ok {
		s = "+" + rest
	}
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9', c == ' ', c == '-', c == '.', c == '(', c == ')':
		case c == '+' && i == 0:
		default:
			return "", fmt.Errorf("%w: unexpected %q", ErrBadPhone, c)
		}
	}
	international := strings.HasPrefix(s, "+")
	if !international && p.DefaultRegion == "" {
		return "", fmt.Errorf("%w: no leading + and country code", ErrBadPhone)
	}
	region := ""
	if !international {
		region = strings.ToUpper(p.DefaultRegion)
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadPhone, err)
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", fmt.Errorf("%w: too short for country code +%d", ErrBadPhone, num.GetCountryCode())
	case phonenumbers.TOO_LONG:
		return "", fmt.Errorf("%w: too long for country code +%d", ErrBadPhone, num.GetCountryCode())
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", fmt.Errorf("%w: unknown country code", ErrBadPhone)
	default:
		return "", fmt.Errorf("%w: not a possible number for country code +%d", ErrBadPhone, num.GetCountryCode())
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Region returns the ISO 3166-1 region of an E.164 number ("BR"), or "".
func Region(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}

// PhoneTimeZone returns the IANA time zone of an E.164 number when its
// prefix determines exactly one (+55 11 → America/Sao_Paulo, +1 650 →
// America/Los_Angeles), else "" (+351 may be Lisbon or the Azores).
func PhoneTimeZone(e164 string) string {
	tzs, err := phonenumbers.GetTimezonesForPrefix(e164)
	if err != nil || len(tzs) != 1 || tzs[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return ""
	}
	return tzs[0]
}
