package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// emulatorCmd runs the Cloud API emulator on its own.
type emulatorCmd struct{ env }

func (c *emulatorCmd) Run(ctx context.Context, args []string) int {
	fs := c.newFlags("emulator")
	var cfg emulator.Config
	fs.StringVar(&cfg.Addr, "addr", emulator.DefaultAddr, "listen address")
	fs.StringVar(&cfg.WebhookURL, "webhook-url", "", "URL that receives the signed webhooks (Parley's /webhooks/whatsapp)")
	fs.StringVar(&cfg.AppSecret, "app-secret", "", "app secret that signs webhooks (X-Hub-Signature-256); required")
	fs.StringVar(&cfg.VerifyToken, "verify-token", "", "verify token for the GET handshake before webhooks are delivered; empty skips it")
	fs.StringVar(&cfg.AccessToken, "access-token", "", "bearer token every Graph call must carry; required")
	fs.StringVar(&cfg.PhoneNumberID, "phone-number-id", emulator.DefaultPhoneNumberID, "business phone number id")
	fs.StringVar(&cfg.WABAID, "waba-id", emulator.DefaultWABAID, "WhatsApp Business Account id")
	fs.IntVar(&cfg.Throughput, "throughput", emulator.DefaultThroughput, "messages per second per number before 130429; -1 is unlimited")
	pairOff := fs.Bool("no-pair-limit", false, "turn off the pair rate limit (131056)")
	fs.DurationVar(&cfg.StatusLatency, "status-latency", emulator.DefaultStatusLatency, "delay before the sent and delivered statuses; negative is none")
	fs.DurationVar(&cfg.ReadAfter, "read-after", emulator.DefaultReadAfter, "delay after delivered before the customer reads; negative is never")
	fs.Float64Var(&cfg.FaultRate, "fault-rate", 0, "share of sends (0..1) that fail with an injected fault")
	kinds := fs.String("fault-kinds", "", "comma-separated injected faults: 5xx, timeout, or error codes such as 130429,131056")
	fs.Float64Var(&cfg.DuplicateRate, "duplicate-rate", 0, "share of webhook events delivered twice")
	fs.Float64Var(&cfg.ReorderRate, "reorder-rate", 0, "share of statuses delivered out of order")
	fs.Float64Var(&cfg.DropRate, "drop-rate", 0, "share of webhook events never delivered")
	fs.IntVar(&cfg.WebhookBatch, "webhook-batch", emulator.DefaultWebhookBatch, "most statuses in one webhook POST")
	fs.IntVar(&cfg.WebhookConcurrency, "webhook-concurrency", emulator.DefaultWebhookConcurrency, "webhook POSTs in flight at once")
	templates := fs.String("templates", "", "extra approved templates: name:language:category:body;... (body uses {{1}}..)")
	verbose := fs.Bool("v", false, "log every request")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *pairOff {
		cfg.PairLimit.Disabled = true
	}
	for _, k := range splitNonEmpty(*kinds, ",") {
		cfg.FaultKinds = append(cfg.FaultKinds, emulator.FaultKind(k))
	}
	for _, t := range splitNonEmpty(*templates, ";") {
		p := strings.SplitN(t, ":", 4)
		if len(p) != 4 {
			fmt.Fprintf(c.stderr, "emulator: -templates: want name:language:category:body, got %q\n", t)
			return 2
		}
		cfg.Templates = append(cfg.Templates, emulator.TemplateSeed{Name: p[0], Language: p[1], Category: p[2], Body: p[3]})
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	emu, err := emulator.New(cfg)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "WhatsApp Cloud API emulator on http://%s (phone number id %s, WABA %s)\n", cfg.Addr, cfg.PhoneNumberID, cfg.WABAID)
	if err := emu.Run(ctx); err != nil {
		return c.fail(err)
	}
	return 0
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sayCmd simulates a customer writing to the business.
type sayCmd struct{ env }

func (c *sayCmd) Run(ctx context.Context, args []string) int {
	fs := c.newFlags("emulator say")
	url := fs.String("url", "http://"+emulator.DefaultAddr, "the emulator's base URL")
	from := fs.String("from", "", "the customer's phone number; required")
	name := fs.String("name", "", "the customer's profile name")
	text := fs.String("text", "", "the message text; required")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *from == "" || *text == "" {
		fmt.Fprintln(c.stderr, "emulator say: --from and --text are required")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ctl := &emulator.Control{BaseURL: strings.TrimRight(*url, "/")}
	id, err := ctl.Say(ctx, *from, *name, *text)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, id)
	return 0
}
