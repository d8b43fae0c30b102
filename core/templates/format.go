package templates

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Formatter writes numbers, amounts and dates in one language. It is
// immutable and safe for concurrent use.
type Formatter struct {
	tag     language.Tag
	printer *message.Printer
}

// NewFormatter returns a Formatter for a language code such as pt_BR; an
// unparseable code formats as English.
func NewFormatter(lang string) *Formatter {
	tag, err := language.Parse(strings.ReplaceAll(lang, "_", "-"))
	if err != nil {
		tag = language.English
	}
	return &Formatter{tag: tag, printer: message.NewPrinter(tag)}
}

// Number formats a decimal number: 1234.5 is 1,234.5 in en_US and
// 1.234,5 in pt_BR.
func (f *Formatter) Number(v float64) string { return f.printer.Sprint(number.Decimal(v)) }

// Currency formats an amount in the ISO 4217 currency code: R$ 1.234,50
// in pt_BR.
func (f *Formatter) Currency(v float64, code string) (string, error) {
	u, err := currency.ParseISO(code)
	if err != nil {
		return "", fmt.Errorf("currency %q: %w", code, err)
	}
	return f.printer.Sprint(currency.Symbol(u.Amount(v))), nil
}

// Date formats a date with the month's name in the language: November 25,
// 2026 (en), 25 de novembro de 2026 (pt), 25 de noviembre de 2026 (es).
// Languages without a table get ISO 8601 (2026-11-25).
func (f *Formatter) Date(t time.Time) string {
	base, _ := f.tag.Base()
	region, _ := f.tag.Region()
	l, ok := dateLayouts[base.String()+"_"+region.String()]
	if !ok {
		l, ok = dateLayouts[base.String()]
	}
	if !ok {
		return t.Format("2006-01-02")
	}
	months := monthNames[base.String()]
	return strings.NewReplacer("{d}", strconv.Itoa(t.Day()), "{m}", months[t.Month()-1], "{y}", strconv.Itoa(t.Year())).Replace(l)
}

var dateLayouts = map[string]string{
	"en":    "{m} {d}, {y}",
	"en_GB": "{d} {m} {y}",
	"pt":    "{d} de {m} de {y}",
	"es":    "{d} de {m} de {y}",
	"fr":    "{d} {m} {y}",
	"de":    "{d}. {m} {y}",
	"it":    "{d} {m} {y}",
}

var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"pt": {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"it": {"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
}

// ParseNumber reads a number from an event value ("1234.5").
func ParseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a number, got %q", s)
	}
	return v, nil
}

// ParseDate reads a date from an event value: RFC 3339 or YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a date such as 2026-11-25 or 2026-11-25T10:00:00Z, got %q", s)
}
