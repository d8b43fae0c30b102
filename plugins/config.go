package plugins

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Config describes one connector plugin.
type Config struct {
	// Name is the connector's name in the hub (webhook routes, flows). It is
	// required and unique; two plugins may run the same binary under
	// different names.
	Name string
	// Path is the plugin binary. It is required.
	Path string
	// SHA256 is the hex SHA-256 of the binary; required. The host refuses
	// to execute a binary that does not match (`sha256sum` prints it).
	SHA256 string
	// Config is the connector's config, checked against its Spec before
	// Configure. Values of fields the Spec marks Secret are redacted in
	// Inspect and logs.
	Config map[string]string
	// StartTimeout bounds launch, handshake, Spec and Configure; 10 s by
	// default.
	StartTimeout time.Duration
	// SocketDir is where the plugin's Unix socket goes, in a subdirectory
	// per launch. The host owns it: at Start it removes what an earlier run
	// left there. By default a temporary directory made at Start and
	// removed at Close.
	SocketDir string
	// HealthInterval is the time between health checks; 30 s by default.
	// Three failed checks in a row that the plugin could not answer kill
	// and restart it.
	HealthInterval time.Duration
}

// Defaults, applied in one place: withDefaults.
const (
	defaultStartTimeout   = 10 * time.Second
	defaultHealthInterval = 30 * time.Second
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func (c Config) withDefaults() Config {
	if c.StartTimeout <= 0 {
		c.StartTimeout = defaultStartTimeout
	}
	if c.HealthInterval <= 0 {
		c.HealthInterval = defaultHealthInterval
	}
	if c.Path != "" {
		if abs, err := filepath.Abs(c.Path); err == nil {
			c.Path = abs
		}
	}
	return c
}

// validate reports every problem of every config at once, each with its
// path, as in plugins[1].sha256.
func validate(cfgs []Config) error {
	var errs []error
	seen := map[string]int{}
	for i, c := range cfgs {
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("plugins[%d].%s: "+format, append([]any{i, field}, args...)...))
		}
		switch j, dup := seen[c.Name]; {
		case !namePattern.MatchString(c.Name):
			bad("name", "%q is not a plugin name (lower-case letters, digits, '-' and '_')", c.Name)
		case dup:
			bad("name", "%q is also the name of plugins[%d]", c.Name, j)
		}
		seen[c.Name] = i
		if c.Path == "" {
			bad("path", "is required")
		} else if st, err := os.Stat(c.Path); err != nil {
			bad("path", "%v", err)
		} else if st.IsDir() || st.Mode()&0o111 == 0 {
			bad("path", "%s is not an executable file", c.Path)
		}
		if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 {
			bad("sha256", "%q is not a hex SHA-256 (64 hex digits; run sha256sum on the binary)", c.SHA256)
		}
		if c.SocketDir != "" && len(c.SocketDir) > 80 {
			bad("socket_dir", "%q is too long for a Unix socket path (at most 80 bytes)", c.SocketDir)
		}
	}
	return errors.Join(errs...)
}
