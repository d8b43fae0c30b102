package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// TranscriptPlaceholder is the placeholder of an action input that stands
// for the recent WhatsApp conversation with the event's contact.
const TranscriptPlaceholder = "transcript"

// connectors checks what the tags cannot: unique names.
func (v *validator) connectors(c *Config) {
	seen := map[string]int{}
	for i, cn := range c.Connectors {
		if j, dup := seen[cn.Name]; dup && cn.Name != "" {
			v.add(fmt.Sprintf("connectors[%d].name", i), cn.Name, nil, "duplicate connector name %q (also connectors[%d])", cn.Name, j)
			continue
		}
		seen[cn.Name] = i
	}
}

func (v *validator) escalation(c *Config) {
	for i, k := range c.Escalation.Keywords {
		if strings.TrimSpace(k) == "" {
			v.add(fmt.Sprintf("escalation.keywords[%d]", i), k, nil, "is empty")
		}
	}
}

// flowAction checks a flow's action statically: its connector is listed and
// enabled, and its input placeholders are event paths or {{transcript}}.
// Whether the connector has the action, and which inputs it requires, is
// known only from its spec, once it runs (see core/connector).
func (v *validator) flowAction(p string, a FlowAction, c *Config) {
	conn, _, ok := strings.Cut(a.Name, ".")
	if ok && conn != "" {
		i := slices.IndexFunc(c.Connectors, func(cn Connector) bool { return cn.Name == conn })
		switch {
		case i < 0:
			names := make([]string, len(c.Connectors))
			for j, cn := range c.Connectors {
				names[j] = cn.Name
			}
			known := "none are configured"
			if len(names) > 0 {
				known = "configured: " + strings.Join(names, ", ")
			}
			v.add(p+".name", a.Name, nil, "unknown connector %q (%s)", conn, known)
		case !c.Connectors[i].Enabled:
			v.add(p+".name", a.Name, nil, "connector %q is disabled (connectors[%d].enabled)", conn, i)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Input)) {
		for _, m := range placeholderRE.FindAllStringSubmatch(a.Input[k], -1) {
			if m[1] != TranscriptPlaceholder && !eventPathRE.MatchString(m[1]) {
				v.add(p+".input."+k, a.Input[k], nil, "placeholder %s is not an event path or {{%s}}: use contact.<field>, data.<field>, id, type, source or occurred_at", m[0], TranscriptPlaceholder)
			}
		}
	}
}

// countTrue returns how many of bs are true.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
