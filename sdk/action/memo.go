package action

import "sync"

// Memo remembers what an action returned, by idempotency key, for actions
// whose vendor API has no idempotency of its own: a retry with the same key
// gets the first output instead of doing the action again. It holds at most
// max keys, forgetting the oldest first, and lives only as long as the
// plugin process, so say so in the action's description. An empty key is
// never remembered. It is safe for concurrent use.
type Memo struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]map[string]any
}

// NewMemo returns a Memo holding at most max keys.
func NewMemo(max int) *Memo { return &Memo{max: max, m: map[string]map[string]any{}} }

// Get returns the output remembered for key.
func (m *Memo) Get(key string) (map[string]any, bool) {
	if key == "" {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	return v, ok
}

// Put remembers out for key.
func (m *Memo) Put(key string, out map[string]any) {
	if key == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[key]; !ok {
		m.order = append(m.order, key)
	}
	m.m[key] = out
	for len(m.order) > m.max {
		delete(m.m, m.order[0])
		m.order = m.order[1:]
	}
}

// Do returns the output remembered for key, or runs the action and
// remembers its output when it succeeds. Calls with the same key at the
// same moment are not serialized: the memo answers retries, not races.
func (m *Memo) Do(key string, run func() (map[string]any, error)) (map[string]any, error) {
	if out, ok := m.Get(key); ok {
		return out, nil
	}
	out, err := run()
	if err != nil {
		return nil, err
	}
	m.Put(key, out)
	return out, nil
}
