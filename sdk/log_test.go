package sdk

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// TestLogHandlerSpeaksHCLog checks the fields go-plugin's host parses from a
// plugin's stderr, including its exact timestamp layout.
func TestLogHandlerSpeaksHCLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	slog.New(newLogHandler(&buf, slog.LevelDebug)).Warn("rate limited", "retry_after", 30, slog.Group("req", "id", "r1"))
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if m["@level"] != "warn" || m["@message"] != "rate limited" || m["retry_after"] != float64(30) {
		t.Errorf("line = %s", buf.Bytes())
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", m["@timestamp"].(string)); err != nil {
		t.Errorf("go-plugin cannot parse @timestamp: %v", err)
	}
	if g, _ := m["req"].(map[string]any); g["id"] != "r1" {
		t.Errorf("group = %v", m["req"])
	}
}
