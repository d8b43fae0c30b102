package sdk_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEConnectorCompiles builds the connector shown first in README.md
// (through a go build overlay, writing nothing into the source tree), so the
// "write a connector in 20 lines" section cannot rot.
func TestREADMEConnectorCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped with -short")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "```go\n")
	code, _, ok2 := strings.Cut(after, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```go block")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	virtual := filepath.Join(wd, "readmeconnector", "main.go") // does not exist on disk
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {virtual: src}})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", filepath.Join(dir, "greeter"), "./readmeconnector")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's connector does not build: %v\n%s\n%s", err, out, code)
	}
}
