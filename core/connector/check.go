package connector

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/sdk"
)

// CheckActions checks every flow's action against the specs of the
// running connectors (by name): the connector runs and declares the action,
// the flow gives every input the action requires and none it does not
// take. It returns one line per problem, each starting with the key path,
// or nil.
func CheckActions(flows []config.Flow, specs map[string]sdk.Spec) []string {
	var problems []string
	bad := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	for i, f := range flows {
		if f.Action.Name == "" {
			continue
		}
		p := fmt.Sprintf("flows[%d].action", i)
		conn, name, _ := strings.Cut(f.Action.Name, ".")
		spec, ok := specs[conn]
		if !ok {
			bad(p+".name", "connector %q is not running (not listed under connectors, or disabled)", conn)
			continue
		}
		j := slices.IndexFunc(spec.Actions, func(a sdk.ActionSpec) bool { return a.Name == name })
		if j < 0 {
			has := "it has no actions"
			if len(spec.Actions) > 0 {
				names := make([]string, len(spec.Actions))
				for k, a := range spec.Actions {
					names[k] = a.Name
				}
				has = "it has " + strings.Join(names, ", ")
			}
			bad(p+".name", "connector %q has no action %q (%s)", conn, name, has)
			continue
		}
		a := spec.Actions[j]
		known := map[string]bool{}
		for _, in := range a.Input {
			known[in.Name] = true
			if in.Required && in.Default == "" && strings.TrimSpace(f.Action.Input[in.Name]) == "" {
				bad(p+".input."+in.Name, "action %q requires it: %s", f.Action.Name, in.Description)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(f.Action.Input)) {
			if !known[k] {
				names := make([]string, len(a.Input))
				for k, in := range a.Input {
					names[k] = in.Name
				}
				bad(p+".input."+k, "action %q takes no input %q (it takes %s)", f.Action.Name, k, strings.Join(names, ", "))
			}
		}
	}
	return problems
}

// checkActions runs CheckActions against the started plugins.
func (c *Connectors) checkActions(ctx context.Context) error {
	specs := map[string]sdk.Spec{}
	for _, name := range c.names {
		client, _ := c.host.Connector(name)
		if spec, err := client.Spec(ctx); err == nil {
			specs[name] = spec
		}
	}
	if problems := CheckActions(c.cfg.Flows, specs); len(problems) > 0 {
		return fmt.Errorf("%w:\n  %s", ErrActionCheck, strings.Join(problems, "\n  "))
	}
	return nil
}
