package connectorpb_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestGeneratedCodeIsCurrent regenerates the code into a temporary
// directory (scripts/check-proto.sh) and fails when it differs from the
// committed files. It is skipped without protoc.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerates the protobuf code; skipped with -short")
	}
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc not installed (apt-get install -y protobuf-compiler); generated code not checked")
	}
	out, err := exec.Command("../../scripts/check-proto.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("check-proto: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "SKIPPED") {
		t.Skipf("%s", out)
	}
}
