package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// newHCLogger returns the hclog.Logger go-plugin wants, writing into log:
// go-plugin's own messages and each line the plugin logs (which go-plugin
// parses from the plugin's stderr) become slog records with their level,
// message and attributes.
func newHCLogger(log *slog.Logger) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     &slogWriter{log: log},
		JSONFormat: true,
	})
}

// slogWriter turns hclog's JSON lines into slog records.
type slogWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *slogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *slogWriter) emit(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		w.log.Info(string(line))
		return
	}
	level := slogLevel(m["@level"])
	if !w.log.Enabled(context.Background(), level) {
		return
	}
	msg, _ := m["@message"].(string)
	module, _ := m["@module"].(string)
	delete(m, "@level")
	delete(m, "@message")
	delete(m, "@module")
	delete(m, "@timestamp")
	delete(m, "@caller")
	attrs := make([]slog.Attr, 0, len(m)+1)
	if module != "" {
		attrs = append(attrs, slog.String("module", module))
	}
	for k, v := range m {
		attrs = append(attrs, slog.Any(k, v))
	}
	w.log.LogAttrs(context.Background(), level, msg, attrs...)
}

func slogLevel(v any) slog.Level {
	s, _ := v.(string)
	switch strings.ToLower(s) {
	case "trace":
		return slog.LevelDebug - 4
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// lineLogger logs each line written to it, for a plugin's stdout and stderr
// once go-plugin has taken them over.
type lineLogger struct {
	log    *slog.Logger
	level  slog.Level
	stream string
	mu     sync.Mutex
	buf    []byte
}

var _ io.Writer = (*lineLogger)(nil)

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(w.buf[:i])); line != "" {
			w.log.Log(context.Background(), w.level, line, "stream", w.stream)
		}
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
