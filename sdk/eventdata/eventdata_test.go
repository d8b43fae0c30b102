package eventdata_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk/eventdata"
)

func TestPut(t *testing.T) {
	t.Parallel()
	data := map[string]any{"kept": "x"}
	eventdata.Put(data, "status", "  open ")
	eventdata.Put(data, "blank", " \t")
	eventdata.Put(data, "kept", "")
	if diff := cmp.Diff(map[string]any{"kept": "x", "status": "open"}, data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	got := eventdata.Strings([]string{"a", "b"})
	b, _ := json.Marshal(map[string]any{"tags": got})
	var back map[string]any
	_ = json.Unmarshal(b, &back)
	if diff := cmp.Diff(map[string]any{"tags": []any{"a", "b"}}, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got := eventdata.Strings(nil); got == nil || len(got) != 0 {
		t.Errorf("Strings(nil) = %#v, want an empty list", got)
	}
}

func TestFirstAndFullName(t *testing.T) {
	t.Parallel()
	cases := []struct{ got, want string }{
		{eventdata.First("", "  ", " b ", "c"), "b"},
		{eventdata.First(), ""},
		{eventdata.First(" ", ""), ""},
		{eventdata.FullName(" Ana ", " Souza "), "Ana Souza"},
		{eventdata.FullName("", "Souza"), "Souza"},
		{eventdata.FullName("Ana", ""), "Ana"},
		{eventdata.FullName(" ", " "), ""},
	}
	for i, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("case %d: %q, want %q", i, tc.got, tc.want)
		}
	}
}
