package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/connector"
	"github.com/parley-hub/parley/plugins"
	"github.com/parley-hub/parley/sdk"
)

// pluginsCmd is "parley plugins list" and "parley plugins inspect NAME": it
// starts the configured connector plugins, asks them, prints, and stops them.
type pluginsCmd struct {
	env
	sub string // "list" or "inspect"
}

const pluginsUsage = "usage: parley plugins list [--config FILE] [--json]\n       parley plugins inspect NAME [--config FILE] [--json]"

func (c *pluginsCmd) Run(ctx context.Context, args []string) int {
	var name string
	if c.sub == "inspect" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			fmt.Fprintln(c.stderr, pluginsUsage)
			return 2
		}
		name, args = args[0], args[1:]
	}
	fs := c.newFlags("plugins " + c.sub)
	file := fs.String("config", "", "config file (default: $PARLEY_CONFIG, else the built-in sandbox config)")
	asJSON := fs.Bool("json", false, "print JSON")
	timeout := fs.Duration("timeout", 30*time.Second, "how long the plugins may take to start")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, err := config.Load(config.LoadOptions{File: *file})
	if err != nil {
		return c.fail(err)
	}
	if name != "" && !slices.ContainsFunc(cfg.Connectors, func(cn config.Connector) bool { return cn.Name == name && cn.Enabled }) {
		return c.fail(fmt.Errorf("no enabled connector named %q in the config", name))
	}
	// The plugins' own logs would bury the answer: only warnings, to stderr.
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pcs, err := connector.PluginConfigs(cfg, log)
	if err != nil {
		return c.fail(err)
	}
	if name != "" {
		pcs = slices.DeleteFunc(pcs, func(p plugins.Config) bool { return p.Name != name })
	}
	host, err := plugins.New(pcs, log)
	if err != nil {
		return c.fail(err)
	}
	defer host.Close()
	sctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := host.Start(sctx); err != nil {
		return c.fail(err)
	}
	health := map[string]string{}
	specs := map[string]sdk.Spec{}
	for _, p := range pcs {
		client, _ := host.Connector(p.Name)
		health[p.Name] = healthOf(sctx, client)
		if spec, err := client.Spec(sctx); err == nil {
			specs[p.Name] = spec
		}
	}
	var problems []string
	for _, p := range connector.CheckActions(cfg.Flows, specs) {
		if name == "" || strings.Contains(p, `"`+name+`"`) {
			problems = append(problems, p)
		}
	}
	if name == "" {
		c.list(host.List(), health, problems, *asJSON)
	} else {
		d, _ := host.Inspect(name)
		d.Health = health[name]
		c.inspect(d, problems, *asJSON)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}

// healthOf asks the connector now; a connector without a health check is
// "ok" once it runs.
func healthOf(ctx context.Context, client plugins.Client) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch err := client.Health(ctx); {
	case err == nil, errors.Is(err, sdk.ErrNotSupported):
		return "ok"
	default:
		return err.Error()
	}
}

func (c *pluginsCmd) list(list []plugins.Status, health map[string]string, problems []string, asJSON bool) {
	for i := range list {
		list[i].Health = health[list[i].Name]
	}
	if asJSON {
		writeIndented(c.stdout, map[string]any{"connectors": list, "problems": problems})
		return
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "No connectors configured (see connectors: in configs/parley.example.yaml).")
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSTATE\tHEALTH\tPID\tCAPABILITIES\tPATH")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.Name, s.Version, s.State, s.Health, s.PID, strings.Join(s.Capabilities, ","), s.Path)
	}
	_ = tw.Flush()
	printProblems(c.stdout, problems)
}

func (c *pluginsCmd) inspect(d plugins.Detail, problems []string, asJSON bool) {
	if asJSON {
		writeIndented(c.stdout, map[string]any{"connector": d, "problems": problems})
		return
	}
	w := c.stdout
	fmt.Fprintf(w, "%s %s\n  %s\n\n", d.Name, d.Spec.Version, d.Spec.Description)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  path:\t%s\n  sha256:\t%s\n  state:\t%s (pid %d)\n  health:\t%s\n  capabilities:\t%s\n",
		d.Path, d.SHA256, d.State, d.PID, d.Health, strings.Join(d.Capabilities, ", "))
	if slices.Contains(d.Capabilities, "webhooks") {
		fmt.Fprintf(tw, "  webhook:\tPOST /connectors/%s/webhook\n", d.Name)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nConfig (connectors[].config):")
	for _, f := range d.Spec.Config {
		var tags []string
		if f.Required {
			tags = append(tags, "required")
		}
		if f.Secret {
			tags = append(tags, "secret")
		}
		if f.Default != "" {
			tags = append(tags, "default "+f.Default)
		}
		val, set := d.Config[f.Name]
		shown := "(not set)"
		if set {
			shown = "= " + val
		}
		fmt.Fprintf(w, "  %s %s", f.Name, shown)
		if len(tags) > 0 {
			fmt.Fprintf(w, "  [%s]", strings.Join(tags, ", "))
		}
		fmt.Fprintf(w, "\n      %s\n", f.Description)
	}
	if len(d.Spec.Actions) > 0 {
		fmt.Fprintf(w, "\nActions (flows: action.name %s.<action>):\n", d.Name)
		for _, a := range d.Spec.Actions {
			fmt.Fprintf(w, "  %s\n      %s\n", a.Name, a.Description)
			for _, in := range a.Input {
				req := ""
				if in.Required {
					req = " (required)"
				}
				fmt.Fprintf(w, "      - %s%s: %s\n", in.Name, req, in.Description)
			}
		}
	}
	printProblems(w, problems)
}

func printProblems(w io.Writer, problems []string) {
	if len(problems) == 0 {
		return
	}
	fmt.Fprintln(w, "\nProblems with the flows' actions:")
	for _, p := range problems {
		fmt.Fprintln(w, "  "+p)
	}
}

func writeIndented(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
