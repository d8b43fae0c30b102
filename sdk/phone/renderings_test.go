package phone

import (
	"slices"
	"testing"
)

func TestPhoneRenderings(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"+5511987654321": {"+5511987654321", "+55 11 98765-4321", "(11) 98765-4321", "5511987654321"},
		"+16505551234":   {"+16505551234", "+1 650-555-1234", "(650) 555-1234", "16505551234"},
		"+447911123456":  {"+447911123456", "+44 7911 123456", "07911 123456", "447911123456"},
	}
	for in, want := range cases {
		if got := Renderings(in); !slices.Equal(got, want) {
			t.Errorf("Renderings(%q) = %q, want %q", in, got, want)
		}
	}
}
