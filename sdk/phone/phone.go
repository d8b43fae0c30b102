// Package phone turns the phone numbers found in connected systems'
// payloads into E.164, for connectors. It never guesses: a number with
// letters, a national number without a region to read it in, or a number
// that is not valid for its country is refused with the reason, so that a
// connector can skip the item and say why. It uses
// github.com/nyaruka/phonenumbers; a connector that does not import this
// package does not carry that library.
package phone

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Candidate is one place a payload may carry the customer's phone.
type Candidate struct {
	Field  string // where it came from, such as "shipping_address.phone"
	Raw    string
	Region string // ISO 3166-1 alpha-2 region for a national number; "" = the configured default
}

// Error says why no candidate gave a usable number. It lists
// every candidate tried, so a skip reason is actionable.
type Error struct {
	Tried []string // "field \"raw\": cause"
}

func (e *Error) Error() string {
	if len(e.Tried) == 0 {
		return "no phone number given"
	}
	return "no valid phone number: " + strings.Join(e.Tried, "; ")
}

// Pick returns the first candidate that normalizes to E.164. Empty
// candidates are ignored; a candidate that fails is recorded in the error.
func Pick(defaultRegion string, cands ...Candidate) (string, error) {
	pe := &Error{}
	for _, c := range cands {
		if strings.TrimSpace(c.Raw) == "" {
			continue
		}
		region := c.Region
		if region == "" {
			region = defaultRegion
		}
		e164, err := Normalize(c.Raw, region)
		if err == nil {
			return e164, nil
		}
		pe.Tried = append(pe.Tried, fmt.Sprintf("%s %q: %v", c.Field, c.Raw, err))
	}
	return "", pe
}

// Normalize parses raw as a phone number, reading a national number in
// region, and returns it in E.164. It never guesses: letters (vanity
// numbers such as "555-555-SHIP"), a national number without a region, and
// numbers that are not valid for their country are refused.
func Normalize(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.IndexFunc(raw, unicode.IsLetter) >= 0 {
		return "", errors.New("contains letters")
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	if !strings.HasPrefix(raw, "+") && region == "" {
		return "", errors.New("national number and no region to read it in (set default_region)")
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return "", fmt.Errorf("unparseable: %w", err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", errors.New("not a valid number")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// ValidRegion reports whether region is a region phonenumbers knows.
func ValidRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
}

// Renderings returns the ways people usually write an E.164 number:
// E.164, international, national, and digits only ("+5511987654321",
// "+55 11 98765-4321", "(11) 98765-4321", "5511987654321"), for exact-match
// searches in systems that store phones as typed.
func Renderings(e164 string) []string {
	out := []string{e164}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return out
	}
	for _, v := range []string{
		phonenumbers.Format(num, phonenumbers.INTERNATIONAL),
		phonenumbers.Format(num, phonenumbers.NATIONAL),
		strings.TrimPrefix(e164, "+"),
	} {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
