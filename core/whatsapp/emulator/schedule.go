package emulator

import (
	"context"
	"sync"
	"time"
)

// stage is the next step of a message's delivery simulation.
type stage uint8

const (
	stageSent stage = iota
	stageDelivered
	stageRead
	stageFunc // run fn (template review and the like)
)

// job is a delayed step. Jobs of an older epoch (before a Reset) are skipped.
type job struct {
	due   time.Time // real (monotonic) time
	seq   uint64
	epoch uint64
	rec   *record
	stage stage
	fn    func()
}

// scheduler runs jobs when due, on one goroutine, in due order (ties in the
// order they were added). Adding is a heap push under a short lock.
type scheduler struct {
	mu   sync.Mutex
	heap []job
	seq  uint64
	wake chan struct{}
}

func newScheduler() *scheduler { return &scheduler{wake: make(chan struct{}, 1)} }

func (s *scheduler) add(j job) {
	s.mu.Lock()
	s.seq++
	j.seq = s.seq
	s.heap = append(s.heap, j)
	i := len(s.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s.heap[i], s.heap[p] = s.heap[p], s.heap[i]
		i = p
	}
	top := i == 0
	s.mu.Unlock()
	if top {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *scheduler) less(i, j int) bool {
	a, b := &s.heap[i], &s.heap[j]
	if a.due.Equal(b.due) {
		return a.seq < b.seq
	}
	return a.due.Before(b.due)
}

func (s *scheduler) pop() job {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = job{}
	s.heap = h[:last]
	i := 0
	for {
		l, r := 2*i+1, 2*i+2
		m := i
		if l < last && s.less(l, m) {
			m = l
		}
		if r < last && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s.heap[i], s.heap[m] = s.heap[m], s.heap[i]
		i = m
	}
	return top
}

func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.heap)
}

func (s *scheduler) reset() {
	s.mu.Lock()
	clear(s.heap)
	s.heap = s.heap[:0]
	s.mu.Unlock()
}

// run fires due jobs until ctx ends.
func (s *scheduler) run(ctx context.Context, fire func(job)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	due := make([]job, 0, 256)
	for {
		s.mu.Lock()
		now := time.Now()
		for len(s.heap) > 0 && !s.heap[0].due.After(now) && len(due) < 4096 {
			due = append(due, s.pop())
		}
		wait := time.Duration(-1)
		if len(due) == 0 && len(s.heap) > 0 {
			wait = s.heap[0].due.Sub(now)
		}
		s.mu.Unlock()
		if len(due) > 0 {
			for i := range due {
				fire(due[i])
				due[i] = job{}
			}
			due = due[:0]
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}
