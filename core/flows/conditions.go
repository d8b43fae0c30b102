package flows

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/event"
)

// Holds reports whether condition c holds for event ev. A missing field
// fails every test but missing and ne/not_in; a comparison of a value that
// is not a number fails.
func Holds(c config.Condition, ev *event.Event) bool {
	v, ok := ev.Lookup(c.Field)
	switch c.Op {
	case "exists":
		return ok
	case "missing":
		return !ok
	case "ne":
		return !ok || v != c.Value
	case "not_in":
		return !ok || !slices.Contains(c.Values, v)
	}
	if !ok {
		return false
	}
	switch c.Op {
	case "", "eq":
		return v == c.Value
	case "in":
		return slices.Contains(c.Values, v)
	case "contains":
		return strings.Contains(strings.ToLower(v), strings.ToLower(c.Value))
	case "matches":
		re := compiled(c.Value)
		return re != nil && re.MatchString(v)
	case "gt", "gte", "lt", "lte":
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(c.Value, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch c.Op {
		case "gt":
			return a > b
		case "gte":
			return a >= b
		case "lt":
			return a < b
		default:
			return a <= b
		}
	}
	return false
}

var regexps sync.Map // pattern → *regexp.Regexp (nil when it does not compile)

func compiled(p string) *regexp.Regexp {
	if re, ok := regexps.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	regexps.Store(p, re)
	return re
}
