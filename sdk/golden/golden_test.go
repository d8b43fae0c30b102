package golden_test

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/parley-hub/parley/sdk/golden"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, format)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = append(r.failed, format)
	panic(r)
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("fatal") }

func run(t *testing.T, fn func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		fn(r)
	}()
	return r.failed
}

func TestReadAndJSON(t *testing.T) {
	t.Parallel()
	var in map[string]any
	if err := json.Unmarshal(golden.Read(t, "input.json"), &in); err != nil {
		t.Fatal(err)
	}
	in["tags"] = []string{"a"}
	golden.JSON(t, "result", in)
}

func TestMismatchAndMissing(t *testing.T) {
	t.Parallel()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		t.Skip("with -update, golden.JSON writes instead of comparing")
	}
	if f := run(t, func(tb testing.TB) { golden.JSON(tb, "result", map[string]any{"id": "2"}) }); len(f) != 1 || !strings.Contains(f[0], "mismatch") {
		t.Errorf("a different result: failures %q, want one mismatch", f)
	}
	if f := run(t, func(tb testing.TB) { golden.JSON(tb, "no_such_file", 1) }); len(f) != 1 || !strings.Contains(f[0], "-update") {
		t.Errorf("a missing golden file: failures %q, want one saying to run -update", f)
	}
	if f := run(t, func(tb testing.TB) { golden.Read(tb, "no_such_file.json") }); len(f) != 1 {
		t.Errorf("a missing fixture: failures %q, want one", f)
	}
}
