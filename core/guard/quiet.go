package guard

import (
	"fmt"
	"time"

	"github.com/parley-hub/parley/core/config"
)

// QuietHours are daily hours in which messages that are not transactional
// wait. The zero value has none.
type QuietHours struct {
	enabled    bool
	start, end int // minutes after midnight
}

// NewQuietHours parses the config's quiet hours (HH:MM).
func NewQuietHours(q config.QuietHours) (QuietHours, error) {
	if !q.Enabled {
		return QuietHours{}, nil
	}
	s, err := clock(q.Start)
	if err != nil {
		return QuietHours{}, fmt.Errorf("quiet hours start: %w", err)
	}
	e, err := clock(q.End)
	if err != nil {
		return QuietHours{}, fmt.Errorf("quiet hours end: %w", err)
	}
	return QuietHours{enabled: s != e, start: s, end: e}, nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Until reports whether now is inside the quiet hours in loc and, if so,
// when they end (the first moment a message may go). Quiet hours that
// cross midnight (21:00-08:00) end on the next day.
func (q QuietHours) Until(now time.Time, loc *time.Location) (bool, time.Time) {
	if !q.enabled {
		return false, time.Time{}
	}
	l := now.In(loc)
	m := l.Hour()*60 + l.Minute()
	endToday := time.Date(l.Year(), l.Month(), l.Day(), q.end/60, q.end%60, 0, 0, loc)
	switch {
	case q.start < q.end && m >= q.start && m < q.end:
		return true, endToday
	case q.start > q.end && m >= q.start:
		next := l.AddDate(0, 0, 1)
		return true, time.Date(next.Year(), next.Month(), next.Day(), q.end/60, q.end%60, 0, 0, loc)
	case q.start > q.end && m < q.end:
		return true, endToday
	}
	return false, time.Time{}
}
