// Command crashy is a connector plugin for the host's tests: it logs when
// configured, answers health checks, and its actions crash, hang or echo on
// demand.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/parley-hub/parley/sdk"
)

type crashy struct{}

func (crashy) Spec() sdk.Spec {
	return sdk.Spec{
		Name: "crashy", Version: "0.0.1", Description: "A test plugin that misbehaves on demand.",
		Config: []sdk.Field{
			{Name: "greeting", Description: "Logged at Configure.", Required: true},
			{Name: "api_token", Description: "Never logged.", Secret: true},
		},
		Actions: []sdk.ActionSpec{
			{Name: "echo", Description: "Returns its input and the process id."},
			{Name: "crash", Description: "Exits with status 3."},
			{Name: "fail", Description: "Fails as unauthorized."},
		},
	}
}

func (crashy) Configure(_ context.Context, cfg sdk.Config) error {
	slog.Info("crashy configured", "greeting", cfg.Get("greeting"), "answer", 42)
	fmt.Fprintln(os.Stderr, "plain stderr line after Serve")
	return nil
}

func (crashy) Health(context.Context) error { return nil }

func (crashy) Do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	switch req.Action {
	case "crash":
		go func() { time.Sleep(10 * time.Millisecond); os.Exit(3) }()
		return sdk.ActionResult{}, nil
	case "fail":
		return sdk.ActionResult{}, fmt.Errorf("crashy refuses: %w", sdk.ErrUnauthorized)
	default:
		return sdk.ActionResult{Output: map[string]any{"input": req.Input, "pid": os.Getpid()}}, nil
	}
}

func main() { sdk.Serve(crashy{}) }
