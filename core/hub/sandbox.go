package hub

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SandboxSecrets are the credentials a sandbox generates on its first start
// and keeps in its data directory, so that a restart keeps the same API key.
type SandboxSecrets struct {
	APIKey      string `json:"api_key"`
	AppSecret   string `json:"app_secret"`
	VerifyToken string `json:"verify_token"`
	AccessToken string `json:"access_token"`
}

// loadSandboxSecrets reads dir/sandbox.json, creating it (mode 0600) with
// fresh random secrets when it does not exist.
func loadSandboxSecrets(dir string) (*SandboxSecrets, error) {
	path := filepath.Join(dir, "sandbox.json")
	b, err := os.ReadFile(path)
	if err == nil {
		var s SandboxSecrets
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("sandbox secrets %s: %w", path, err)
		}
		return &s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sandbox secrets: %w", err)
	}
	s := &SandboxSecrets{APIKey: "pk_sandbox_" + random(16), AppSecret: random(16), VerifyToken: random(12), AccessToken: "EAAsandbox" + random(24)}
	b, _ = json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox secrets: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("sandbox secrets: %w", err)
	}
	return s, nil
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
