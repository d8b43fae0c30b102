package guard

import (
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
)

func TestQuietHours(t *testing.T) {
	t.Parallel()
	q, err := NewQuietHours(config.QuietHours{Enabled: true, Start: "21:00", End: "08:00"})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	day := func(h, m int) time.Time { return time.Date(2026, 3, 10, h, m, 0, 0, sp) }
	tests := []struct {
		at    time.Time
		quiet bool
		until time.Time
	}{
		{day(20, 59), false, time.Time{}},
		{day(21, 0), true, day(8, 0).AddDate(0, 0, 1)},
		{day(23, 30), true, day(8, 0).AddDate(0, 0, 1)},
		{day(3, 0), true, day(8, 0)},
		{day(8, 0), false, time.Time{}},
	}
	for _, tt := range tests {
		quiet, until := q.Until(tt.at.UTC(), sp)
		if quiet != tt.quiet || !until.Equal(tt.until) {
			t.Errorf("Until(%s) = %v, %s; want %v, %s", tt.at, quiet, until, tt.quiet, tt.until)
		}
	}
	day9to5, _ := NewQuietHours(config.QuietHours{Enabled: true, Start: "09:00", End: "17:00"})
	if quiet, _ := day9to5.Until(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC); !quiet {
		t.Error("noon outside 09:00-17:00 quiet hours")
	}
	if quiet, _ := (QuietHours{}).Until(day(23, 0), sp); quiet {
		t.Error("disabled quiet hours are quiet")
	}
}

func TestCaps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	c := NewCaps([]config.Cap{{Category: "marketing", Max: 2, Period: 24 * time.Hour}, {Category: "marketing", Max: 3, Period: 7 * 24 * time.Hour}})
	if v := c.Check("marketing", []time.Time{now.Add(-30 * time.Hour)}, now); !v.OK {
		t.Errorf("one send: %+v", v)
	}
	v := c.Check("marketing", []time.Time{now.Add(-time.Hour), now.Add(-3 * time.Hour)}, now)
	if v.OK || v.Cap.Max != 2 || !v.FreeAt.Equal(now.Add(21*time.Hour)) {
		t.Errorf("two sends in a day: %+v; want the daily cap, free at +21h", v)
	}
	v = c.Check("marketing", []time.Time{now.Add(-30 * time.Hour), now.Add(-50 * time.Hour), now.Add(-70 * time.Hour)}, now)
	if v.OK || v.Cap.Max != 3 || !v.FreeAt.Equal(now.Add(-70*time.Hour).Add(7*24*time.Hour)) {
		t.Errorf("three sends in a week: %+v; want the weekly cap", v)
	}
	if v := c.Check("utility", make([]time.Time, 10), now); !v.OK {
		t.Error("utility capped")
	}
}

func TestPairs(t *testing.T) {
	t.Parallel()
	p := NewPairs(6*time.Second, 3)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if at := p.Reserve("a", now); !at.Equal(now) {
			t.Fatalf("burst send %d deferred to %s", i, at)
		}
	}
	if at := p.Reserve("a", now); !at.Equal(now.Add(6 * time.Second)) {
		t.Errorf("4th send due at %s; want +6s", at)
	}
	if at := p.Peek("b", now); !at.Equal(now) {
		t.Error("another recipient is held up")
	}
	// 131056 backs off 1 s, then 4 s.
	if at := p.Throttled("b", now); !at.Equal(now.Add(time.Second)) {
		t.Errorf("first 131056: retry at %s; want +1s", at)
	}
	if at := p.Throttled("b", now); !at.Equal(now.Add(4 * time.Second)) {
		t.Errorf("second 131056: retry at %s; want +4s", at)
	}
	if at := p.Peek("b", now.Add(2*time.Second)); !at.After(now.Add(2 * time.Second)) {
		t.Error("a backed-off recipient is free")
	}
	p.Sent("b")
	if at := p.Throttled("b", now); !at.Equal(now.Add(time.Second)) {
		t.Errorf("after a success the back-off restarts at %s", at)
	}
}
