// Package golden reads a connector test's fixtures from testdata/ and
// compares what the connector made with golden files under
// testdata/golden/, as rule 22 of the style guide asks: payloads in,
// results out, reviewed as files.
//
//	func TestWebhookGolden(t *testing.T) {
//		res, err := c.HandleWebhook(t.Context(), signed(golden.Read(t, "orders_paid.json")))
//		...
//		golden.JSON(t, "orders_paid", res) // testdata/golden/orders_paid.json
//	}
//
// Run the tests with -update to write the golden files from the current
// results; review the diff before committing it. Importing this package
// defines the -update test flag, so a test package that imports it must not
// define its own.
package golden

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden from the current results")

// Read returns the contents of testdata/<name>, failing the test when it
// cannot be read.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// JSON compares got, as indented JSON, with testdata/golden/<name>.json;
// with -update it writes that file instead.
func JSON(t testing.TB, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got); rerun with -update if intended:\n%s", path, diff)
	}
}
