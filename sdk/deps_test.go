package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestVendorBuildStaysSmall checks that the SDK, its conformance suite and a
// connector main built on them pull none of the hub's own heavy
// dependencies into a vendor's build.
func TestVendorBuildStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped with -short")
	}
	forbidden := []string{
		"modernc.org/sqlite",
		"github.com/ThreeDotsLabs/watermill",
		"github.com/knadh/koanf",
		"github.com/prometheus/client_golang",
		"github.com/parley-hub/parley/core",
		"github.com/parley-hub/parley/plugins",
	}
	out, err := exec.Command("go", "list", "-deps",
		"github.com/parley-hub/parley/sdk/...",
		"github.com/parley-hub/parley/connectors/webhook/cmd/parley-connector-webhook",
	).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("a vendor's build would include %s", pkg)
			}
		}
	}
}
