package phone

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw, region, want, wantErr string
	}{
		{"+1 650-555-1234", "", "+16505551234", ""},
		{"(650) 555-1234", "US", "+16505551234", ""},
		{"650.555.1234", "us", "+16505551234", ""},
		{"07911 123456", "GB", "+447911123456", ""},
		{"+44 (0)7911 123456", "US", "+447911123456", ""},
		{"0044 7911 123456", "DE", "+447911123456", ""},
		{"11 98765-4321", "BR", "+5511987654321", ""},
		{"555-555-SHIP", "US", "", "contains letters"},
		{"(555)555-5555", "US", "", "not a valid number"},
		{"123-123-1234", "CA", "", "not a valid number"},
		{"(650) 555-1234", "", "", "no region"},
		{"12", "US", "", "not a valid number"},
		{"+999 1234567", "", "", "unparseable"},
		{"n/a", "US", "", "contains letters"},
	}
	for _, tc := range cases {
		got, err := Normalize(tc.raw, tc.region)
		switch {
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Normalize(%q, %q) = %q, %v; want an error containing %q", tc.raw, tc.region, got, err, tc.wantErr)
		}
	}
}

func TestPickPhone(t *testing.T) {
	t.Parallel()
	got, err := Pick("US",
		Candidate{"phone", "", ""},
		Candidate{"customer.phone", "555-555-SHIP", ""},
		Candidate{"shipping_address.phone", "07911 123456", "GB"},
		Candidate{"billing_address.phone", "(650) 555-1234", ""},
	)
	if err != nil || got != "+447911123456" {
		t.Errorf("pickPhone = %q, %v; want the first that parses, read in its own region", got, err)
	}
	_, err = Pick("", Candidate{"phone", "(650) 555-1234", ""})
	if err == nil || !strings.Contains(err.Error(), `phone "(650) 555-1234": national number and no region`) {
		t.Errorf("no region: got %v", err)
	}
	if _, err := Pick("US"); err == nil || err.Error() != "no phone number given" {
		t.Errorf("no candidates: got %v", err)
	}
}
