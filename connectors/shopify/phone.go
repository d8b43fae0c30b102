package shopify

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// phoneCandidate is one place a payload may carry the customer's phone.
type phoneCandidate struct {
	field  string // where it came from, such as "shipping_address.phone"
	raw    string
	region string // ISO 3166-1 alpha-2 region for a national number; "" = the configured default
}

// phoneError says why no phone candidate gave a usable number. It lists
// every candidate tried, so a skip reason is actionable.
type phoneError struct {
	tried []string // "field \"raw\": cause"
}

func (e *phoneError) Error() string {
	if len(e.tried) == 0 {
		return "no phone number given"
	}
	return "no valid phone number: " + strings.Join(e.tried, "; ")
}

// pickPhone returns the first candidate that normalizes to E.164. Empty
// candidates are ignored; a candidate that fails is recorded in the error.
func pickPhone(defaultRegion string, cands ...phoneCandidate) (string, error) {
	pe := &phoneError{}
	for _, c := range cands {
		if strings.TrimSpace(c.raw) == "" {
			continue
		}
		region := c.region
		if region == "" {
			region = defaultRegion
		}
		e164, err := normalizePhone(c.raw, region)
		if err == nil {
			return e164, nil
		}
		pe.tried = append(pe.tried, fmt.Sprintf("%s %q: %v", c.field, c.raw, err))
	}
	return "", pe
}

// normalizePhone parses raw as a phone number, reading a national number in
// region, and returns it in E.164. It never guesses: letters (vanity
// numbers such as "555-555-SHIP"), a national number without a region, and
// numbers that are not valid for their country are refused.
func normalizePhone(raw, region string) (string, error) {
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

// validRegion reports whether region is a region phonenumbers knows.
func validRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
}
