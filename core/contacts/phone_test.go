package contacts

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"+16505551234":       "+16505551234",
		" +1 (650) 555-1234": "+16505551234",
		"0044 20 7946 0958":  "+442079460958",
		"+55.11.91234.5678":  "+5511912345678",
	}
	for in, want := range good {
		got, err := NormalizePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "6505551234", "+1", "+1650555123456789", "+0123456789", "+1650abc1234", "tel:+16505551234", "+1 650 555+1234"} {
		if got, err := NormalizePhone(in); !errors.Is(err, ErrBadPhone) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want ErrBadPhone", in, got, err)
		}
	}
}

func TestPhonesDefaultRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, region, in, want string
	}{
		{"national BR mobile", "BR", "(11) 91234-5678", "+5511912345678"},
		{"national US", "us", "650 555 1234", "+16505551234"},
		{"international wins over region", "BR", "+351 912 345 678", "+351912345678"},
		{"no region refuses national", "", "650 555 1234", ""},
		{"too short in region", "BR", "1234", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Phones{DefaultRegion: tt.region}.Normalize(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrBadPhone) {
					t.Fatalf("Normalize(%q) = %q, %v; want ErrBadPhone", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestPhoneTimeZoneAndRegion(t *testing.T) {
	t.Parallel()
	if got := PhoneTimeZone("+5511912345678"); got != "America/Sao_Paulo" {
		t.Errorf("PhoneTimeZone(+55 11...) = %q; want America/Sao_Paulo", got)
	}
	if got := PhoneTimeZone("+351912345678"); got != "" {
		t.Errorf("PhoneTimeZone(+351...) = %q; want empty (Lisbon or the Azores)", got)
	}
	if got := Region("+5511912345678"); got != "BR" {
		t.Errorf("Region(+55...) = %q; want BR", got)
	}
	if got := PhoneTimeZone("+7"); got != "" {
		t.Errorf("PhoneTimeZone(+7) = %q; want empty (ambiguous)", got)
	}
}
