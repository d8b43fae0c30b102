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
	for _, in := range []string{"", "6505551234", "+1", "+1650555123456789", "+0123456789", "+1650abc1234", "tel:+16505551234"} {
		if got, err := NormalizePhone(in); !errors.Is(err, ErrBadPhone) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want ErrBadPhone", in, got, err)
		}
	}
}
