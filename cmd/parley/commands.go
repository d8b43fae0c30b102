package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/connector"
)

// command is one subcommand. Run returns the process exit code.
type command interface {
	Run(ctx context.Context, args []string) int
}

// env is what every command writes to.
type env struct {
	stdout, stderr io.Writer
}

const usage = `parley — a self-hosted WhatsApp integration hub

Usage:
  parley serve [--config FILE] [--addr HOST:PORT] [--data DIR]   run Parley (sandbox without a config)
  parley emulator [flags]                                         run the Cloud API emulator alone
  parley emulator say --from PHONE --text TEXT [--url URL]        simulate a customer writing in
  parley config validate [--config FILE] [--print]                check a config file
  parley templates sync [--config FILE | --url URL]               pull templates' approval statuses from the Cloud API
  parley plugins list [--config FILE] [--json]                    start the configured connectors, list them, stop
  parley plugins inspect NAME [--config FILE] [--json]            a connector's config spec, actions and health
  parley dlq list|show ID|replay ID|replay --all [--topic T]      dead letters of a running Parley ([--url URL] [--key KEY])
  parley version

Run "parley COMMAND -h" for a command's flags.
`

// run dispatches args to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		args = []string{"serve"}
	}
	var cmd command
	switch args[0] {
	case "serve":
		cmd = &serveCmd{env: e}
	case "emulator":
		if len(args) > 1 && args[1] == "say" {
			cmd, args = &sayCmd{env: e}, args[1:]
		} else {
			cmd = &emulatorCmd{env: e}
		}
	case "config":
		if len(args) < 2 || args[1] != "validate" {
			fmt.Fprintln(stderr, "usage: parley config validate [--config FILE] [--print]")
			return 2
		}
		cmd, args = &validateCmd{env: e}, args[1:]
	case "templates":
		if len(args) < 2 || args[1] != "sync" {
			fmt.Fprintln(stderr, templatesUsage)
			return 2
		}
		cmd, args = &templatesCmd{env: e}, args[1:]
	case "plugins":
		if len(args) < 2 || (args[1] != "list" && args[1] != "inspect") {
			fmt.Fprintln(stderr, pluginsUsage)
			return 2
		}
		cmd, args = &pluginsCmd{env: e, sub: args[1]}, args[1:]
	case "dlq":
		if len(args) < 2 || (args[1] != "list" && args[1] != "show" && args[1] != "replay") {
			fmt.Fprintln(stderr, dlqUsage)
			return 2
		}
		cmd, args = &dlqCmd{env: e, sub: args[1]}, args[1:]
	case "version":
		fmt.Fprintln(stdout, "parley", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "parley: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd.Run(ctx, args[1:])
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// newFlags returns a flag set that reports to stderr.
func (e env) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses flags; it returns the exit code to use when it fails.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// fail prints an error and returns exit code 1.
func (e env) fail(err error) int {
	fmt.Fprintln(e.stderr, "parley:", err)
	return 1
}

// newLogger builds the logger the config asks for.
func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// validateCmd checks a config file and reports every problem at once.
type validateCmd struct{ env }

func (c *validateCmd) Run(_ context.Context, args []string) int {
	fs := c.newFlags("config validate")
	file := fs.String("config", "", "config file (default: $PARLEY_CONFIG, else the built-in sandbox config)")
	print := fs.Bool("print", false, "print the effective config, secrets redacted")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, err := config.Load(config.LoadOptions{File: *file})
	if err != nil {
		return c.fail(err)
	}
	// The connectors' binaries; their actions are checked when they start
	// (parley plugins list).
	if problems := connector.CheckBinaries(cfg); len(problems) > 0 {
		return c.fail(fmt.Errorf("invalid config: %s", strings.Join(problems, "\n  ")))
	}
	if *print {
		_, _ = c.stdout.Write(cfg.Dump())
	}
	name := *file
	if name == "" {
		name = "built-in sandbox config"
	}
	fmt.Fprintf(c.stdout, "%s: ok\n", name)
	return 0
}
