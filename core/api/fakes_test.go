package api

import (
	"bytes"
	"context"
	"sync"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/plugins"
)

type fakePlugins struct{}

func (fakePlugins) List() []plugins.Status                { return nil }
func (fakePlugins) Inspect(string) (plugins.Detail, bool) { return plugins.Detail{}, false }

type fakeDLQ struct{}

func (*fakeDLQ) List(context.Context, deadletter.Filter) ([]deadletter.Letter, int64, error) {
	return nil, 0, nil
}
func (*fakeDLQ) Get(context.Context, int64) (*deadletter.Letter, error) {
	return nil, deadletter.ErrNotFound
}
func (*fakeDLQ) Replay(context.Context, int64) (*deadletter.Letter, error) {
	return nil, deadletter.ErrNotFound
}
func (*fakeDLQ) Replayable(string) bool { return false }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}
