package policy

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/window"
)

// testRules are the defaults of the config, with a marketing cap of 2 per
// day and quiet hours 21:00-08:00.
func testRules(t testing.TB, capAction string) Rules {
	t.Helper()
	c := config.Default()
	c.Guard.Caps = []config.Cap{{Category: "marketing", Max: 2, Period: 24 * time.Hour, Action: capAction}}
	r, err := NewRules(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	noon      = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	marketing = &templates.Variant{Name: "promo", Language: "en_US", Category: "marketing", Status: templates.Approved}
	utility   = &templates.Variant{Name: "order_shipped", Language: "pt_BR", Category: "utility", Status: templates.Approved}
	optIn     = consent.State{"marketing": {Purpose: "marketing", Status: consent.OptIn, Record: &consent.Record{Source: "api"}}}
	optOut    = consent.State{"marketing": {Purpose: "marketing", Status: consent.OptOut, Record: &consent.Record{Source: "keyword", EffectiveAt: noon.Add(-time.Hour)}}}
	open      = window.State{Open: true, ClosesAt: noon.Add(3 * time.Hour)}
	altReq    = &whatsapp.SendRequest{To: "+16505551234", Type: "template", Template: &whatsapp.Template{Name: "order_shipped"}}
)

func facts(mod func(*Facts)) Facts {
	f := Facts{Now: noon, Location: time.UTC, Consent: consent.State{}}
	if mod != nil {
		mod(&f)
	}
	return f
}

// TestDecide has one case per outcome and reason; each checks the
// outcome, the recorded reason, the purpose and the lawful basis.
func TestDecide(t *testing.T) {
	t.Parallel()
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		Outcome     Outcome
		Reason      string
		Purpose     string
		LawfulBasis string
		Template    string
		DeferUntil  time.Time
		Fallback    string
	}
	tests := []struct {
		name  string
		rules string // cap action
		msg   Message
		facts Facts
		want  want
	}{
		{
			name:  "send: utility template, no opt-in needed",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: utility},
			facts: facts(nil),
			want:  want{Send, ReasonOK, "utility", "contract", "order_shipped", time.Time{}, ""},
		},
		{
			name:  "send: free text in an open window is service",
			msg:   Message{Origin: OriginFlow, Kind: "text"},
			facts: facts(func(f *Facts) { f.Window = open }),
			want:  want{Send, ReasonOK, "service", "legitimate_interests", "", time.Time{}, ""},
		},
		{
			name: "send: keyword confirmation needs no consent",
			msg:  Message{Origin: OriginKeyword, Kind: "text", Category: "service", LawfulBasis: "legal_obligation"},
			facts: facts(func(f *Facts) {
				f.Window = open
				f.Consent = consent.State{"service": {Purpose: "service", Status: consent.OptOut, Record: &consent.Record{}}}
			}),
			want: want{Send, ReasonKeywordReply, "service", "legal_obligation", "", time.Time{}, ""},
		},
		{
			name:  "send_template: closed window turns text into the flow's template",
			msg:   Message{Origin: OriginFlow, Kind: "text", Alternative: altReq, AltVariant: utility, FallbackAction: &FallbackAction{Handoff: true}},
			facts: facts(func(f *Facts) { f.Window = window.State{ClosesAt: noon.Add(-time.Hour)} }),
			want:  want{SendTemplate, ReasonWindowTemplate, "utility", "contract", "order_shipped", time.Time{}, ""},
		},
		{
			name:  "send_template: a window closing within the margin counts as closed",
			msg:   Message{Origin: OriginFlow, Kind: "text", Alternative: altReq, AltVariant: utility},
			facts: facts(func(f *Facts) { f.Window = window.State{Open: true, ClosesAt: noon.Add(30 * time.Second)} }),
			want:  want{SendTemplate, ReasonWindowTemplate, "utility", "contract", "order_shipped", time.Time{}, ""},
		},
		{
			name:  "fallback: closed window, no template, the agent queue",
			msg:   Message{Origin: OriginFlow, Kind: "text", FallbackAction: &FallbackAction{Handoff: true}},
			facts: facts(nil),
			want:  want{Fallback, ReasonWindowFallback, "service", "legitimate_interests", "", time.Time{}, "agent queue"},
		},
		{
			name: "fallback: closed window, template not approved, connector action",
			msg: Message{Origin: OriginFlow, Kind: "interactive", Alternative: altReq, AltErr: templates.ErrNotApproved,
				FallbackAction: &FallbackAction{Action: &config.FlowAction{Name: "zendesk.create_ticket"}}},
			facts: facts(func(f *Facts) { f.Window = window.State{ClosesAt: noon.Add(-time.Minute)} }),
			want:  want{Fallback, ReasonWindowFallback, "service", "legitimate_interests", "", time.Time{}, "connector action zendesk.create_ticket"},
		},
		{
			name:  "block: closed window, no template, no fallback (a direct API text)",
			msg:   Message{Origin: OriginAPI, Kind: "text"},
			facts: facts(nil),
			want:  want{Block, ReasonWindowClosed, "service", "legitimate_interests", "", time.Time{}, ""},
		},
		{
			name:  "block: marketing after a stop keyword",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: marketing},
			facts: facts(func(f *Facts) { f.Consent = optOut }),
			want:  want{Block, ReasonOptedOut, "marketing", "consent", "promo", time.Time{}, ""},
		},
		{
			name:  "block: marketing without an opt-in under the basis consent",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: marketing},
			facts: facts(nil),
			want:  want{Block, ReasonNoOptIn, "marketing", "consent", "promo", time.Time{}, ""},
		},
		{
			name:  "block: the template's alternative is marketing and the contact opted out",
			msg:   Message{Origin: OriginFlow, Kind: "text", Alternative: altReq, AltVariant: marketing, FallbackAction: &FallbackAction{Handoff: true}},
			facts: facts(func(f *Facts) { f.Consent = optOut }),
			want:  want{Block, ReasonOptedOut, "marketing", "consent", "promo", time.Time{}, ""},
		},
		{
			name:  "block: the bot is paused while an agent has the conversation",
			msg:   Message{Origin: OriginBot, Kind: "text"},
			facts: facts(func(f *Facts) { f.Window = open; f.Paused = true }),
			want:  want{Block, ReasonBotPaused, "service", "legitimate_interests", "", time.Time{}, ""},
		},
		{
			name:  "send: a paused bot does not stop an order update",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: utility},
			facts: facts(func(f *Facts) { f.Paused = true }),
			want:  want{Send, ReasonOK, "utility", "contract", "order_shipped", time.Time{}, ""},
		},
		{
			name:  "block: template not approved",
			msg:   Message{Origin: OriginFlow, Kind: "template", TemplateErr: fmt.Errorf("%w: paused", templates.ErrNotApproved)},
			facts: facts(nil),
			want:  want{Block, ReasonTemplateNotReady, "service", "legitimate_interests", "", time.Time{}, ""},
		},
		{
			name:  "block: template parameters do not fit (never a 132000)",
			msg:   Message{Origin: OriginAPI, Kind: "template", Template: utility, TemplateErr: &templates.ParamError{Template: "order_shipped", Msg: "takes 3"}},
			facts: facts(nil),
			want:  want{Block, ReasonTemplateParams, "utility", "contract", "order_shipped", time.Time{}, ""},
		},
		{
			name:  "block: unknown template",
			msg:   Message{Origin: OriginAPI, Kind: "template", TemplateErr: templates.ErrUnknown},
			facts: facts(nil),
			want:  want{Block, ReasonTemplateUnknown, "service", "legitimate_interests", "", time.Time{}, ""},
		},
		{
			name:  "block: over the marketing cap (action block)",
			rules: "block",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: marketing},
			facts: facts(func(f *Facts) {
				f.Consent = optIn
				f.Sent = func(string) []time.Time { return []time.Time{noon.Add(-2 * time.Hour), noon.Add(-time.Hour)} }
			}),
			want: want{Block, ReasonCap, "marketing", "consent", "promo", time.Time{}, ""},
		},
		{
			name:  "defer_until: over the marketing cap (action defer) until the oldest send leaves the day",
			rules: "defer",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: marketing},
			facts: facts(func(f *Facts) {
				f.Consent = optIn
				f.Sent = func(string) []time.Time { return []time.Time{noon.Add(-time.Hour), noon.Add(-2 * time.Hour)} }
			}),
			want: want{DeferUntil, ReasonCap, "marketing", "consent", "promo", noon.Add(22 * time.Hour), ""},
		},
		{
			name: "defer_until: quiet hours in the recipient's zone (23:00 in São Paulo) until 08:00 there",
			msg:  Message{Origin: OriginFlow, Kind: "template", Template: marketing},
			facts: facts(func(f *Facts) {
				f.Consent, f.Location = optIn, saoPaulo
				f.Now = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC) // 23:00 the 25th in São Paulo (UTC-3)
			}),
			want: want{DeferUntil, ReasonQuietHours, "marketing", "consent", "promo", time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC), ""},
		},
		{
			name:  "send: quiet hours do not hold a transactional template",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: utility},
			facts: facts(func(f *Facts) { f.Location = saoPaulo; f.Now = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC) }),
			want:  want{Send, ReasonOK, "utility", "contract", "order_shipped", time.Time{}, ""},
		},
		{
			name:  "defer_until: the pair limit, without holding other recipients",
			msg:   Message{Origin: OriginFlow, Kind: "template", Template: utility},
			facts: facts(func(f *Facts) { f.PairAt = noon.Add(6 * time.Second) }),
			want:  want{DeferUntil, ReasonPairPacing, "utility", "contract", "order_shipped", noon.Add(6 * time.Second), ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			action := tt.rules
			if action == "" {
				action = "block"
			}
			d := Decide(testRules(t, action), tt.msg, tt.facts)
			got := want{d.Outcome, d.Reason, d.Purpose, d.LawfulBasis, d.Template, d.DeferUntil, ""}
			if d.Fallback != nil {
				got.Fallback = d.Fallback.String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s\ndetail: %s", diff, d.Detail)
			}
			if d.Detail == "" {
				t.Error("decision has no detail")
			}
			if d.Outcome == SendTemplate && d.Request != tt.msg.Alternative {
				t.Error("send_template does not carry the alternative request")
			}
		})
	}
}

func TestNewRulesQuietHours(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.Guard.QuietHours = config.QuietHours{Enabled: true, Start: "22:00", End: "07:30"}
	r, err := NewRules(c)
	if err != nil {
		t.Fatal(err)
	}
	q, until := r.Quiet.Until(time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC), time.UTC)
	if !q || !until.Equal(time.Date(2026, 1, 1, 7, 30, 0, 0, time.UTC)) {
		t.Errorf("quiet at 06:00 = %v until %v; want true until 07:30", q, until)
	}
}
