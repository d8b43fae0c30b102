package sdk

import (
	"errors"
	"strings"
	"testing"
)

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	good := Spec{Name: "shop", Version: "1.2.3", Description: "d",
		Config:  []Field{{Name: "client_secret", Description: "d", Secret: true}},
		Actions: []ActionSpec{{Name: "note", Description: "d", Input: []Field{{Name: "body", Description: "d"}}}}}
	tests := []struct {
		name  string
		edit  func(*Spec)
		wants []string // substrings of the error; none = valid
	}{
		{"valid", func(*Spec) {}, nil},
		{"v-prefixed prerelease version", func(s *Spec) { s.Version = "v0.1.0-rc.1" }, nil},
		{"bad name and version", func(s *Spec) { s.Name, s.Version = "Shop!", "latest" }, []string{"spec.name", "spec.version"}},
		{"undocumented field", func(s *Spec) { s.Config = append(s.Config, Field{Name: "x"}) }, []string{"spec.config[1].description"}},
		{"secret not marked", func(s *Spec) { s.Config[0].Secret = false }, []string{"spec.config[0].secret"}},
		{"duplicate action", func(s *Spec) { s.Actions = append(s.Actions, s.Actions[0]) }, []string{"spec.actions[1].name"}},
		{"undocumented input", func(s *Spec) { s.Actions[0].Input[0].Description = "" }, []string{"spec.actions[0].input[0].description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good
			s.Config = append([]Field(nil), good.Config...)
			s.Actions = []ActionSpec{{Name: "note", Description: "d", Input: []Field{{Name: "body", Description: "d"}}}}
			tt.edit(&s)
			err := s.Validate()
			if len(tt.wants) == 0 && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for _, w := range tt.wants {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not mention %s", err, w)
				}
			}
		})
	}
}

func TestCheckAction(t *testing.T) {
	t.Parallel()
	s := Spec{Actions: []ActionSpec{{Name: "note", Input: []Field{{Name: "body", Required: true}, {Name: "tag"}}}}}
	for _, tt := range []struct {
		name string
		req  ActionRequest
		ok   bool
	}{
		{"declared with inputs", ActionRequest{Action: "note", Input: map[string]any{"body": "x"}}, true},
		{"unknown action", ActionRequest{Action: "delete"}, false},
		{"missing input", ActionRequest{Action: "note", Input: map[string]any{"tag": "x"}}, false},
		{"empty input", ActionRequest{Action: "note", Input: map[string]any{"body": ""}}, false},
	} {
		err := s.CheckAction(tt.req)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadRequest)) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestVerifyHMACSHA256(t *testing.T) {
	t.Parallel()
	sig := SignHMACSHA256([]byte("k"), []byte("body"))
	switch {
	case !VerifyHMACSHA256([]byte("k"), []byte("body"), sig):
		t.Error("a good signature failed")
	case VerifyHMACSHA256([]byte("k"), []byte("body!"), sig):
		t.Error("a changed body verified")
	case VerifyHMACSHA256(nil, []byte("body"), SignHMACSHA256(nil, []byte("body"))):
		t.Error("an empty secret verified")
	case VerifyHMACSHA256([]byte("k"), []byte("body"), sig[:16]):
		t.Error("a truncated signature verified")
	}
}
