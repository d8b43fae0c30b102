package guard

import (
	"time"

	"github.com/parley-hub/parley/core/config"
)

// Caps are the frequency caps. A zero Caps caps nothing.
type Caps struct {
	caps []config.Cap
}

// NewCaps returns the caps of the config.
func NewCaps(caps []config.Cap) Caps { return Caps{caps: caps} }

// For returns the caps on category.
func (c Caps) For(category string) []config.Cap {
	var out []config.Cap
	for _, cp := range c.caps {
		if cp.Category == category {
			out = append(out, cp)
		}
	}
	return out
}

// Longest returns the longest period of the caps on category (how far back
// sends must be counted), or 0.
func (c Caps) Longest(category string) time.Duration {
	var d time.Duration
	for _, cp := range c.For(category) {
		d = max(d, cp.Period)
	}
	return d
}

// Verdict is what the caps say about one more message.
type Verdict struct {
	// OK reports that the message fits every cap.
	OK bool
	// Cap is the first cap it exceeds.
	Cap config.Cap
	// Sent is how many messages that cap counted.
	Sent int
	// FreeAt is when the cap has room again: the oldest counted message
	// leaves the period.
	FreeAt time.Time
}

// Check says whether one more message of category fits the caps at now,
// given the times of the messages of that category already released to
// the contact (in any order).
func (c Caps) Check(category string, sent []time.Time, now time.Time) Verdict {
	for _, cp := range c.For(category) {
		since := now.Add(-cp.Period)
		var in []time.Time
		for _, t := range sent {
			if t.After(since) {
				in = append(in, t)
			}
		}
		if len(in) < cp.Max {
			continue
		}
		// Room comes back when all but max-1 of the counted messages have
		// left the period: the (len-max+1)-th oldest, plus the period.
		oldest := sortedTimes(in)
		free := oldest[len(in)-cp.Max].Add(cp.Period)
		return Verdict{Cap: cp, Sent: len(in), FreeAt: free}
	}
	return Verdict{OK: true}
}

func sortedTimes(ts []time.Time) []time.Time {
	out := append([]time.Time(nil), ts...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Before(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
