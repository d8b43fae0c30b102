package hub

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// startEmulator starts the sandbox's embedded Cloud API emulator on its own
// listener, seeded with the configured templates (approved) and posting
// its signed webhooks to webhookURL. It returns the emulator and its URL.
func startEmulator(ctx context.Context, cfg *config.Config, s *SandboxSecrets, webhookURL string, log *slog.Logger) (*emulator.Emulator, string, error) {
	ecfg := emulator.Config{
		WebhookURL:    webhookURL,
		AppSecret:     s.AppSecret,
		VerifyToken:   s.VerifyToken,
		AccessToken:   s.AccessToken,
		StatusLatency: sandboxDelay(cfg.Emulator.StatusLatency),
		ReadAfter:     sandboxDelay(cfg.Emulator.ReadAfter),
		FaultRate:     cfg.Emulator.FaultRate,
		Logger:        log.With("component", "emulator"),
	}
	for _, t := range config.ExpandTemplates(cfg.Templates) {
		ecfg.Templates = append(ecfg.Templates, emulator.TemplateSeed{Name: t.Name, Language: t.Language, Category: strings.ToUpper(t.Category), Body: t.Body})
	}
	emu, err := emulator.New(ecfg)
	if err != nil {
		return nil, "", fmt.Errorf("sandbox emulator: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Emulator.Addr)
	if err != nil {
		return nil, "", fmt.Errorf("listen on emulator.addr %s: %w", cfg.Emulator.Addr, err)
	}
	go func() {
		if err := emu.Serve(ctx, ln); err != nil {
			log.Error("sandbox emulator stopped", "error", err)
		}
	}()
	return emu, "http://" + ln.Addr().String(), nil
}

// sandboxDelay maps a config delay, where 0 means "none" (status_latency)
// or "never" (read_after), onto the emulator's convention: negative.
func sandboxDelay(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
